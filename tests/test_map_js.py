"""The latent map's JavaScript (static/latent_map: payload parsing, the decoder, the panel's statistics, the plane's
projection) run under Node on the shipped models' real payloads, against values computed apart from it: torch's own
decoder, torch.distributions' KL, numpy's sort, neighbours and eigenvectors. A bug in the map's numbers fails here,
in the fast suite, without a browser."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import percentileofscore
from torch.distributions import Normal, kl_divergence

from vae_core.analysis.projection import projection_for
from vae_core.storage.checkpoint import load_checkpoint
from vae_core.storage.export import browser_decoder
from vae_core.storage.latents import load_latent_cache
from vae_core.storage.payload import pack_model_payload
from vae_core.storage.settings import REPO
from vae_core.storage.store import cache_path_for

HARNESS = Path(__file__).parent / "js" / "harness.mjs"
NODE = shutil.which("node") or shutil.which("nodejs")
ROWS = [0, 1, 2, 3, 4, 1234, 9999]  # test digits the panel is asked about
NAMES = [str(d) for d in range(10)]



def run_js(job: dict) -> dict:
    if NODE is None:  # .ci/run installs it: under CI a missing Node is a failure, elsewhere a skip
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)("Node.js is not installed (apt-get install nodejs)")
    done = subprocess.run([NODE, str(HARNESS)], input=json.dumps(job), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def shipped(name: str):
    path = REPO / "models" / f"{name}.pt"
    return load_checkpoint(path)[0], load_latent_cache(cache_path_for(path))


@pytest.fixture(scope="module", params=["mnist_vae_z2", "mnist_vae_z16"])
def vae_run(request, tmp_path_factory):
    """(model, test cache, the harness's answer) for a shipped VAE's payload, packed as the app packs it."""
    model, cache = shipped(request.param)
    payload = tmp_path_factory.mktemp("payload") / "model.bin"
    payload.write_bytes(pack_model_payload(request.param, browser_decoder(model), cache)[1])
    zs = np.random.default_rng(0).normal(scale=1.5, size=(5, cache.mu.shape[1])).tolist()
    return model, cache, zs, run_js({"payload": str(payload), "zs": zs, "rows": ROWS, "names": NAMES})


def oracle_kl(cache) -> np.ndarray:
    """KL(q(z|x) || N(0, I)) per test digit by torch.distributions, in float64."""
    mu, logvar = torch.as_tensor(cache.mu, dtype=torch.float64), torch.as_tensor(cache.logvar, dtype=torch.float64)
    return kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(dim=1).numpy()


def oracle_neighbours(cache, k: int) -> np.ndarray:
    distances = np.linalg.norm(cache.mu.astype(np.float64) - cache.mu[k].astype(np.float64), axis=1)
    distances[k] = np.inf  # the digit itself is not its own neighbour
    return np.argsort(distances, kind="stable")[:15]


def test_the_browser_decoder_draws_what_torch_draws(vae_run):
    model, _, zs, answer = vae_run
    with torch.no_grad():
        expected = model.decode(torch.tensor(zs, dtype=torch.float32)).reshape(len(zs), -1).numpy()
    np.testing.assert_allclose(np.array(answer["decoded"]), expected, atol=2e-6)


def test_the_panels_kl_median_and_percentile_match_torch_distributions(vae_run):
    _, cache, _, answer = vae_run
    kl = oracle_kl(cache)
    np.testing.assert_allclose(answer["kl"], kl, rtol=1e-5, atol=1e-6)
    assert answer["median"] == pytest.approx(np.percentile(kl, 50, method="higher"), rel=1e-5)
    for k, shown in zip(ROWS, answer["percentile"], strict=True):
        assert shown == pytest.approx(percentileofscore(kl, kl[k], kind="strict"), abs=0.011)


def test_the_panels_sigma_is_the_square_root_of_the_variance(vae_run):
    _, cache, _, answer = vae_run
    variance = np.exp(cache.logvar[ROWS].astype(np.float64))
    np.testing.assert_allclose(np.square(answer["sigma"]), variance, rtol=1e-5)


def test_the_panel_names_the_15_nearest_test_means_and_their_labels(vae_run):
    _, cache, _, answer = vae_run
    for k, near, counts in zip(ROWS, answer["nearest"], answer["labelCounts"], strict=True):
        expected = oracle_neighbours(cache, k)
        assert sorted(near) == sorted(expected.tolist())
        shown = {int(label): int(n) for label, n in re.findall(r"(\d) ×(\d+)", counts)}
        assert shown == dict(Counter(cache.labels[expected].tolist()))
        ordered = [int(n) for n in re.findall(r"×(\d+)", counts)]
        assert ordered == sorted(ordered, reverse=True)  # most common first


def test_the_panels_sentences_carry_those_numbers(vae_run):
    model, cache, _, answer = vae_run
    kl = oracle_kl(cache)
    for k, panel in zip(ROWS, answer["panel"], strict=True):
        assert panel["title"] == f"Test digit #{k} · label {cache.labels[k]}"
        numbers = re.fullmatch(r"KL\(q\(z\|x\) ‖ N\(0, I\)\) = (\d+\.\d\d) nats \(test median (\d+\.\d\d); "
                               r"percentile (\d+)\)", panel["klText"])
        assert numbers, panel["klText"]
        assert float(numbers[1]) == pytest.approx(kl[k], abs=0.006)
        assert float(numbers[2]) == pytest.approx(np.percentile(kl, 50, method="higher"), abs=0.006)
        assert int(numbers[3]) == pytest.approx(percentileofscore(kl, kl[k], kind="strict"), abs=0.51)
        assert panel["neighbours"].startswith("15 nearest test means: ")
        np.testing.assert_allclose(panel["mu"], cache.mu[k], rtol=0, atol=0)
        with torch.no_grad():
            recon = model.decode(torch.as_tensor(cache.mu[k : k + 1])).reshape(-1).numpy()
        np.testing.assert_allclose(panel["recon"], recon, atol=2e-6)


def test_an_autoencoders_panel_says_its_kl_is_infinite(tmp_path):
    model, cache = shipped("mnist_ae_z2")
    payload = tmp_path / "model.bin"
    payload.write_bytes(pack_model_payload("mnist_ae_z2", browser_decoder(model), cache)[1])
    answer = run_js({"payload": str(payload), "zs": [[0.0, 0.0]], "rows": [0], "names": NAMES})
    assert answer["sigma"] == [None] and answer["median"] is None
    assert answer["panel"][0]["klText"] == "KL(q(z|x) ‖ N(0, I)) = ∞ (a point mass)"


def test_the_plane_and_the_projected_ellipse_of_a_16_d_model_match_numpy():
    _, cache = shipped("mnist_vae_z16")
    projection = projection_for(cache.mu)
    rng = np.random.default_rng(1)
    zs, xy = rng.normal(size=(4, 16)), rng.normal(size=(3, 2))
    rows = [0, 7, 42]
    answer = run_js({"projection": projection.to_dict(), "dim": 16, "zs": zs.tolist(), "xy": xy.tolist(),
                     "ellipses": [{"mu": cache.mu[k].tolist(), "sigma": cache.sigma[k].tolist()} for k in rows]})
    center, axes = projection.center, projection.axes
    np.testing.assert_allclose(answer["plane"], (zs - center) @ axes.T, atol=1e-9)
    np.testing.assert_allclose(answer["lifted"], center + xy @ axes, atol=1e-9)
    for k, shown in zip(rows, answer["ellipses"], strict=True):
        covariance = axes @ np.diag(cache.sigma[k].astype(np.float64) ** 2) @ axes.T  # (2, 2) on the plane
        values, vectors = np.linalg.eigh(covariance)  # ascending
        assert (shown["rx"], shown["ry"]) == pytest.approx((np.sqrt(values[1]), np.sqrt(values[0])), rel=1e-6)
        major = np.array([np.cos(shown["angle"]), np.sin(shown["angle"])])
        assert abs(major @ vectors[:, 1]) == pytest.approx(1.0, abs=1e-6)  # the long axis points along the top one
        np.testing.assert_allclose([shown["x"], shown["y"]], (cache.mu[k] - center) @ axes.T, atol=1e-6)


def test_a_2_d_ellipse_by_hand():
    """sigma = (2, 1) on the identity plane: semi-axes 2 and 1, the long one along z1."""
    answer = run_js({"projection": None, "dim": 2, "zs": [[3.0, -1.0]], "xy": [[0.5, 0.25]],
                     "ellipses": [{"mu": [1.0, -2.0], "sigma": [2.0, 1.0]}, {"mu": [0.0, 0.0], "sigma": [0.5, 3.0]}]})
    assert answer["plane"] == [[3.0, -1.0]] and answer["lifted"] == [[0.5, 0.25]]
    first, second = answer["ellipses"]
    assert (first["x"], first["y"], first["rx"], first["ry"], first["angle"]) == pytest.approx((1, -2, 2, 1, 0))
    assert (second["rx"], second["ry"], abs(second["angle"])) == pytest.approx((3, 0.5, np.pi / 2))


def test_the_search_box_finds_an_index_a_label_and_the_misplaced(tmp_path):
    from vae_core.analysis.explore import misplaced

    model, cache = shipped("mnist_vae_z2")
    payload = tmp_path / "model.bin"
    payload.write_bytes(pack_model_payload("mnist_vae_z2", browser_decoder(model), cache)[1])
    wrong = misplaced(cache.mu, cache.labels).tolist()
    queries = ["#4693", " 7 ", "misplaced", "#7", "10000", "seven", ""]
    index, label, misplaced_found, hash_seven, too_far, nonsense, empty = run_js(
        {"search": str(payload), "queries": queries, "names": NAMES, "misplaced": wrong, "itemWord": "digit"})
    assert (index["kind"], index["rows"]) == ("index", [4693])
    assert index["text"] == f"Test digit #4693 · {cache.labels[4693]}"
    sevens = np.flatnonzero(cache.labels == 7)
    assert (label["kind"], label["rows"]) == ("label", sevens.tolist())
    assert label["text"] == f"{len(sevens):,} test digits labelled 7"
    x0, x1, y0, y1 = label["extent"]  # every 7 inside the zoom
    assert (x0 < cache.mu[sevens, 0].min() and cache.mu[sevens, 0].max() < x1
            and y0 < cache.mu[sevens, 1].min() and cache.mu[sevens, 1].max() < y1)
    assert misplaced_found["rows"] == wrong
    assert misplaced_found["text"].startswith(f"{len(wrong):,} test digits ({100 * len(wrong) / 10_000:.1f} %)")
    assert (hash_seven["kind"], hash_seven["rows"]) == ("index", [7])  # "#" means a number, even one that is a label
    assert too_far["kind"] == "none" and "numbered 0 to 9,999" in too_far["text"]
    assert nonsense["kind"] == "none" and nonsense["rows"] == [] and "“seven”" in nonsense["text"]
    assert empty["kind"] == "clear"


def test_a_fashion_label_is_found_by_its_name(tmp_path):
    from vae_core.data.datasets import LABEL_NAMES

    model, cache = shipped("fashion_vae_z2")
    payload = tmp_path / "model.bin"
    payload.write_bytes(pack_model_payload("fashion_vae_z2", browser_decoder(model), cache)[1])
    names = list(LABEL_NAMES["fashion-mnist"])
    boots, = run_js({"search": str(payload), "queries": ["ankle BOOT"], "names": names, "misplaced": [], "itemWord": "item"})
    assert boots["rows"] == np.flatnonzero(cache.labels == names.index("Ankle boot")).tolist()
    assert boots["text"] == "1,000 test items labelled Ankle boot"


def test_colouring_by_kl_and_sigma_uses_each_digits_own_numbers(vae_run):
    _, cache, _, answer = vae_run
    kl = oracle_kl(cache)
    np.testing.assert_allclose(answer["measures"]["kl"], kl, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(answer["measures"]["sigma"], np.sqrt(np.exp(cache.logvar.astype(np.float64))).mean(axis=1),
                               rtol=1e-5)
    low, high = answer["measures"]["klRange"]  # the colour scale spans the middle 98 % of the digits
    assert ((kl >= low) & (kl <= high)).mean() == pytest.approx(0.98, abs=0.002)


def test_the_stored_measures_reach_the_browser_as_the_cache_holds_them(vae_run):
    _, cache, _, answer = vae_run
    np.testing.assert_array_equal(np.float32(answer["stored"]["recon"]), cache.recon_error)
    np.testing.assert_array_equal(np.float32(answer["stored"]["confidence"]), cache.label_confidence)
    assert answer["colourChoices"] == ["label", "kl", "sigma", "recon", "confidence"]


def test_an_autoencoder_is_coloured_by_its_stored_measures_but_not_by_kl(tmp_path):
    model, cache = shipped("mnist_ae_z2")
    payload = tmp_path / "model.bin"
    payload.write_bytes(pack_model_payload("mnist_ae_z2", browser_decoder(model), cache)[1])
    answer = run_js({"payload": str(payload), "zs": [[0.0, 0.0]], "rows": [], "names": NAMES})
    assert answer["colourChoices"] == ["label", "recon", "confidence"] and answer["measures"] is None
    np.testing.assert_array_equal(np.float32(answer["stored"]["recon"]), cache.recon_error)


def test_a_region_is_the_points_plotly_picked_with_their_labels_mean_and_csv(tmp_path):
    import csv
    import io

    model, cache = shipped("mnist_vae_z2")
    payload = tmp_path / "model.bin"
    payload.write_bytes(pack_model_payload("mnist_vae_z2", browser_decoder(model), cache)[1])
    sevens = np.flatnonzero(cache.labels == 7)  # the label-7 trace holds these rows, in this order
    picked = np.random.default_rng(2).choice(10_000, 50, replace=False)
    answer = run_js({"region": str(payload), "names": NAMES, "picked": picked.tolist(),
                     "event": [{"curveNumber": 7, "pointIndex": 0}, {"curveNumber": 7, "pointIndex": 5},
                               {"curveNumber": 7, "pointIndex": 5}, {"curveNumber": 12, "pointIndex": 0}]})
    # A point picked twice counts once; a trace with no rows (the search's rings) counts for nothing.
    assert answer["fromEvent"] == [{"split": "test", "index": int(sevens[0])}, {"split": "test", "index": int(sevens[5])}]
    summary = answer["summary"]
    assert summary["count"] == 50 and summary["counts"] == {"test": 50}
    shown = {int(label): int(n) for label, n in re.findall(r"(\d) ×(\d+)", summary["labels"])}
    assert shown == dict(Counter(cache.labels[picked].tolist()))
    np.testing.assert_allclose(summary["meanMu"], cache.mu[picked].astype(np.float64).mean(axis=0), rtol=1e-6)
    rows = list(csv.DictReader(io.StringIO(answer["csv"])))
    assert [int(r["index"]) for r in rows] == picked.tolist() and {r["split"] for r in rows} == {"test"}
    assert [r["label"] for r in rows] == [str(v) for v in cache.labels[picked]]
    np.testing.assert_allclose([[float(r["mu1"]), float(r["mu2"])] for r in rows], cache.mu[picked], rtol=1e-6)
    np.testing.assert_allclose([[float(r["sigma1"]), float(r["sigma2"])] for r in rows],
                               np.sqrt(np.exp(cache.logvar[picked].astype(np.float64))), rtol=1e-6)


def test_the_maps_paths_are_the_interpolate_pages_lerp_and_slerp():
    from vae_core.analysis.explore import lerp, slerp

    rng = np.random.default_rng(0)
    z0 = rng.normal(size=16)
    pairs = [rng.normal(size=(2, 2)) for _ in range(4)] + [rng.normal(size=(2, 16)) for _ in range(2)]
    pairs += [np.array([[0.0, 0.0], [1.0, 2.0]]),  # from the origin: a straight line
              np.array([[1.0, 1.0], [2.0, 2.0]]),  # one direction: the length changes only
              np.stack([z0, -2 * z0])]  # antipodal: some great circle through the start
    answer = run_js({"paths": [p.tolist() for p in pairs], "steps": 8})
    for (a, b), got in zip(pairs, answer, strict=True):
        np.testing.assert_allclose(got["linear"], lerp(a, b, 8), atol=1e-5)
        np.testing.assert_allclose(got["spherical"], slerp(a, b, 8), atol=1e-5)


def winding_inside(xy: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Whether each point is inside a simple polygon, by its winding number (summed signed angles)."""
    a = polygon[None, :, :] - xy[:, None, :]
    b = np.roll(polygon, -1, axis=0)[None, :, :] - xy[:, None, :]
    angles = np.arctan2(a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0], (a * b).sum(axis=2))
    return np.abs(angles.sum(axis=1)) > np.pi


def test_a_region_goes_into_the_link_and_back_to_the_same_points():
    from explorer_ui.link import region_shapes

    rng = np.random.default_rng(1)
    xy = rng.uniform(-3, 3, size=(4000, 2))
    star = [(2.5 * (1 + k % 2) / 2 * np.cos(t), 2.5 * (1 + k % 2) / 2 * np.sin(t))
            for k, t in enumerate(np.linspace(0, 2 * np.pi, 200, endpoint=False))]  # a lasso of 200 vertices
    lasso = "M" + "L".join(f"{x:.6f},{y:.6f}" for x, y in star) + "Z"
    selections = [{"type": "rect", "x0": 0.5, "x1": -1.2345678, "y0": 2.0, "y1": -0.5}, {"type": "path", "path": lasso}]
    answer = run_js({"selections": selections, "xy": xy.tolist()})
    rect, path = region_shapes(answer["text"])  # Python reads what the map writes
    assert answer["text"].startswith("r:0.5,-1.235,2,-0.5|p:") and len(path["points"]) == 64
    assert answer["shapes"] == [rect, path]
    in_rect = (xy[:, 0] >= -1.235) & (xy[:, 0] <= 0.5) & (xy[:, 1] >= -0.5) & (xy[:, 1] <= 2)
    in_lasso = winding_inside(xy, np.array(path["points"]))
    assert answer["inside"] == np.flatnonzero(in_rect | in_lasso).tolist()


def test_the_umap_layout_puts_a_z_at_its_nearest_means_place_and_lifts_a_point_to_the_nearest_drawn_mean(tmp_path):
    model, cache = shipped("mnist_vae_z16")
    payload = tmp_path / "model.bin"
    payload.write_bytes(pack_model_payload("mnist_vae_z16", browser_decoder(model), cache)[1])
    rng = np.random.default_rng(2)
    zs, xy = rng.normal(size=(20, 16)), rng.uniform(-2, 14, size=(20, 2))
    answer = run_js({"umap": str(payload), "zs": zs.tolist(), "xy": xy.tolist()})
    mu = cache.mu.astype(np.float64)
    nearest_mean = np.argmin(((mu[None] - zs[:, None]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_allclose(answer["plane"], cache.umap[nearest_mean], rtol=1e-6)
    nearest_drawn = np.argmin(((cache.umap[None].astype(np.float64) - xy[:, None]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_allclose(answer["lifted"], mu[nearest_drawn], rtol=1e-6)
