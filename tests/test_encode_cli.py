"""`latent-explorer encode` (vae_core.commands.encode) encodes a batch of files; a bad file or checkpoint fails cleanly."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from vae_core.analysis import explore
from vae_core.analysis.exact_posterior import exact_posteriors
from vae_core.commands.encode import main
from vae_core.commands.run import run_cli
from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage.checkpoint import load_checkpoint, save_checkpoint
from vae_core.uploads.preprocess import preprocess
from vae_core.uploads.stroke import fit_strokes

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED = REPO / "models" / "mnist_vae_z2.pt"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """The shipped VAE if present, else a small untrained one."""
    if SHIPPED.is_file():
        return SHIPPED
    path = tmp_path_factory.mktemp("models") / "untrained.pt"
    torch.manual_seed(0)
    save_checkpoint(VAE(VAEConfig(hidden_dims=(64,))), path)
    return path


def run_encode(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vae_core.commands.encode", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.fixture
def batch(tmp_path) -> list[str]:
    """Two good images around a broken one and a missing one."""
    (tmp_path / "broken.png").write_bytes((FIXTURES / "mnist1_x10_nearest.png").read_bytes()[:200])
    return [str(FIXTURES / "mnist1_white_on_black.png"), str(tmp_path / "broken.png"),
            str(FIXTURES / "mnist1_black_on_white.jpg"), str(tmp_path / "missing.png")]


@pytest.mark.slow  # a new Python process or a run: seconds; the fast suite stays under a minute
def test_json_batch_reports_every_file_in_order(checkpoint, batch):
    # --own-encoder: this checks the model's own encoding (an upload encoder's: tests/test_upload_encoder.py)
    # --keep-stroke: the prepared input itself (the stroke fit: test_the_stroke_width_is_fitted_unless_asked)
    done = run_encode("--checkpoint", str(checkpoint), *batch, "--json", "--own-encoder", "--keep-stroke")
    assert done.returncode == 1, done.stderr  # 1: some files could not be encoded
    entries = json.loads(done.stdout)
    assert [e["file"] for e in entries] == batch
    assert set(entries[1]) == set(entries[3]) == {"file", "error"}
    assert "truncated" in entries[1]["error"] and "No such file" in entries[3]["error"]
    model, _ = load_checkpoint(checkpoint)
    for entry in (entries[0], entries[2]):
        assert set(entry) == {"file", "mu", "sigma"}
        assert len(entry["mu"]) == len(entry["sigma"]) == model.config.latent_dim
        with torch.inference_mode():  # the CLI uses exactly the app's preprocessing
            mu, logvar = model.encode(_as_batch(preprocess(entry["file"])))
        assert entry["mu"] == pytest.approx(mu[0].tolist(), abs=1e-5)
        assert entry["sigma"] == pytest.approx(torch.exp(0.5 * logvar)[0].tolist(), abs=1e-5)


def test_table_output_and_exit_status(checkpoint, batch, capsys):
    # In-process (no interpreter start-up): main() is what `-m vae_core.commands.encode` runs.
    assert main(["--checkpoint", str(checkpoint), batch[0], batch[2]]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["file", "mu", "sigma"]
    assert [line.split()[0] for line in lines[1:]] == [batch[0], batch[2]]
    assert main(["--checkpoint", str(checkpoint), *batch]) == 1
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [row.split()[:2] for row in rows[1::2]] == [[batch[1], "error:"], [batch[3], "error:"]]


@pytest.mark.slow  # a new Python process or a run: seconds; the fast suite stays under a minute
def test_bad_checkpoint_exits_2_without_traceback(tmp_path, capsys):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint")
    done = run_encode("--checkpoint", str(corrupt), str(FIXTURES / "mnist1_white_on_black.png"), "--json")
    assert done.returncode == 2 and done.stdout == ""
    assert corrupt.name in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(SystemExit) as exit_status:
        run_cli(lambda: main(["--checkpoint", str(tmp_path / "missing.pt"), str(FIXTURES / "mnist1_white_on_black.png")]))
    assert exit_status.value.code == 2
    captured = capsys.readouterr()
    assert "missing.pt does not exist" in captured.err and captured.out == ""


def _as_batch(array):
    """(28, 28) image -> (1, 1, 28, 28) float32 tensor, what VAE.encode takes."""
    return torch.as_tensor(np.asarray(array, dtype=np.float32)).reshape(1, 1, 28, 28)


def test_keep_slant_encodes_the_digit_at_its_own_slant(checkpoint, capsys):
    photo = str(FIXTURES / "uploads" / "photo_0000_0.jpg")  # a 0 leaning well past MNIST's typical slant
    model, _ = load_checkpoint(checkpoint)
    for args, deslant in (([], True), (["--keep-slant"], False)):
        assert main(["--checkpoint", str(checkpoint), photo, "--json", "--own-encoder", "--keep-stroke", *args]) == 0
        entry = json.loads(capsys.readouterr().out)[0]
        with torch.inference_mode():
            mu, _ = model.encode(_as_batch(preprocess(photo, deslant)))
        assert entry["mu"] == pytest.approx(mu[0].tolist(), abs=1e-5)


def test_the_stroke_width_is_fitted_unless_asked(checkpoint, capsys):
    photos = [str(p) for p in sorted((FIXTURES / "uploads").glob("photo_*.jpg"))]
    model, _ = load_checkpoint(checkpoint)
    assert main(["--checkpoint", str(checkpoint), *photos, "--json", "--own-encoder"]) == 0
    fitted = json.loads(capsys.readouterr().out)
    chosen, strokes = fit_strokes(model, np.stack([preprocess(p) for p in photos]))
    assert [e["stroke"] for e in fitted] == strokes
    assert np.allclose([e["mu"] for e in fitted], explore.encode(model, chosen)[0], atol=1e-5)
    assert main(["--checkpoint", str(checkpoint), *photos, "--json", "--own-encoder", "--keep-stroke"]) == 0
    kept = json.loads(capsys.readouterr().out)
    assert all("stroke" not in e for e in kept)
    moved = [f["mu"] != k["mu"] for f, k in zip(fitted, kept, strict=True)]
    assert moved == [s != "as prepared" for s in strokes]


def test_exact_adds_each_images_exact_posterior_for_a_2d_vae(checkpoint, capsys):
    photos = [str(FIXTURES / "uploads" / "photo_0000_0.jpg"), str(FIXTURES / "mnist7_white_on_black.png")]
    model, _ = load_checkpoint(checkpoint)
    assert main(["--checkpoint", str(checkpoint), *photos, "--json", "--own-encoder", "--keep-stroke", "--exact"]) == 0
    entries = json.loads(capsys.readouterr().out)
    found = exact_posteriors(model, np.stack([preprocess(p) for p in photos]))
    for entry, posterior in zip(entries, found, strict=True):
        assert entry["exact_mean"] == pytest.approx(posterior.mean.tolist()) and len(entry["exact_std"]) == 2
        assert np.all(np.asarray(entry["exact_std"]) > 0)


def test_exact_is_refused_for_a_latent_that_is_not_2d(tmp_path, capsys):
    path = tmp_path / "z3.pt"
    torch.manual_seed(0)
    save_checkpoint(VAE(VAEConfig(hidden_dims=(32,), latent_dim=3)), path)
    with pytest.raises(SystemExit) as stop:
        main(["--checkpoint", str(path), str(FIXTURES / "mnist7_white_on_black.png"), "--exact"])
    assert stop.value.code == 2 and "2-D latent" in capsys.readouterr().err
