"""The home map's stored first view (vae_core.storage.map_files): what it holds equals what the model gives,
anything stale or damaged is ignored, and with it the map's first view imports no torch."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from vae_core.analysis.explore import misplaced
from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage import store
from vae_core.storage.checkpoint import file_sha256
from vae_core.storage.export import browser_decoder
from vae_core.storage.latents import load_latent_cache
from vae_core.storage.map_files import read_facts, read_map
from vae_core.storage.payload import pack_model_payload, read_header
from vae_core.storage.settings import REPO

DEFAULT = store.DEFAULT_MODEL


@pytest.mark.parametrize("name", store.SHIPPED_MODELS)
def test_every_shipped_models_facts_are_what_its_file_says(name):
    files = store.model_files(name)
    model, metrics = store.load_model(files)
    assert read_facts(files.facts, file_sha256(files.main)) == (model.info, metrics)


def test_the_default_models_stored_payload_is_the_one_packed_from_it_now():
    files = store.model_files(DEFAULT)
    model, _ = store.load_model(files)
    cache = load_latent_cache(files.cache())
    stored = read_map(files.map_payload, DEFAULT, file_sha256(files.main), file_sha256(files.cache()), len(cache.mu))
    key, payload = pack_model_payload(DEFAULT, browser_decoder(model), cache)
    assert stored.key == key
    assert stored.misplaced == tuple(misplaced(cache.mu, cache.labels).tolist())
    assert sections(stored.payload) == sections(payload)  # byte for byte
    assert read_header(stored.payload)["decoder"] == read_header(payload)["decoder"]


def sections(payload: bytes) -> dict[str, bytes]:
    """Each section's bytes by name, as the header places them."""
    header, out = read_header(payload), {}
    for name, s in header["sections"].items():
        size = np.dtype(s["dtype"]).itemsize * int(np.prod(s["shape"]))
        out[name] = payload[s["offset"]: s["offset"] + size]
    return out


def copy_model(name: str, folder) -> store.ModelFiles:
    for path in store.model_files(name).all_files:
        if path.exists():
            shutil.copy(path, folder / path.name)
    return store.model_files(name, folder)


def test_stale_damaged_or_misnamed_stored_files_are_ignored(tmp_path):
    files = copy_model(DEFAULT, tmp_path)
    sha, cache_sha = file_sha256(files.main), file_sha256(files.cache())
    n = len(load_latent_cache(files.cache()).mu)
    assert read_facts(files.facts, sha) is not None and read_map(files.map_payload, DEFAULT, sha, cache_sha, n) is not None
    assert read_facts(files.facts, "0" * 64) is None  # another model file
    assert read_map(files.map_payload, DEFAULT, sha, "0" * 64, n) is None  # another test cache
    assert read_map(files.map_payload, "other_name", sha, cache_sha, n) is None
    assert read_map(files.map_payload, DEFAULT, sha, cache_sha, 10) is None  # rows outside this cache
    payload = files.map_payload.read_bytes()
    files.map_payload.write_bytes(payload[: len(payload) // 2])
    assert read_map(files.map_payload, DEFAULT, sha, cache_sha, n) is None  # cut short
    files.map_payload.write_bytes(b"LEX2" + b"\xff" * 40)
    assert read_map(files.map_payload, DEFAULT, sha, cache_sha, n) is None
    facts = json.loads(files.facts.read_text())
    for broken in ({**facts, "info": {**facts["info"], "latent_dim": "2"}}, {**facts, "metrics": []}, {"format": 1}):
        files.facts.write_text(json.dumps(broken))
        assert read_facts(files.facts, sha) is None
    files.facts.write_text("{not json")
    assert read_facts(files.facts, sha) is None


@pytest.mark.slow
def test_a_saved_model_stores_its_first_view(tmp_path, data_root):
    torch.manual_seed(0)
    model = VAE(VAEConfig(hidden_dims=(16,))).eval()
    files = store.model_files("m", tmp_path)
    store.save_native(model, files, {"epochs": 1, "history": [{"epoch": 1, "loss": 500.0}]}, data_root)
    loaded, metrics = store.load_model(files)
    sha = file_sha256(files.main)
    assert read_facts(files.facts, sha) == (loaded.info, metrics)
    cache = load_latent_cache(files.cache())
    stored = read_map(files.map_payload, "m", sha, file_sha256(files.cache()), len(cache.mu))
    assert stored.key == pack_model_payload("m", browser_decoder(loaded), cache)[0]
    assert stored.misplaced == tuple(misplaced(cache.mu, cache.labels).tolist())


@pytest.mark.slow
def test_rebuilding_the_latents_writes_the_stored_first_view_anew(tmp_path, data_root):
    """`latent-explorer latents` changes the test cache, whose hash the stored first view records: it is rewritten
    with it, so the map's first view stays the fast one (a stale one would be ignored)."""
    from vae_core.storage.latents import main as latents

    torch.manual_seed(0)
    files = store.model_files("m", tmp_path)
    store.save_native(VAE(VAEConfig(hidden_dims=(16,))).eval(), files, {"epochs": 1}, data_root)
    files.map_payload.write_bytes(b"stale")
    latents(["--checkpoint", str(files.main), "--data-root", str(data_root)])
    cache = load_latent_cache(files.cache())
    stored = read_map(files.map_payload, "m", file_sha256(files.main), file_sha256(files.cache()), len(cache.mu))
    assert stored is not None and stored.key == pack_model_payload("m", browser_decoder(store.load_model(files)[0]),
                                                                   cache)[0]


FIRST_VIEW = """
import json, sys
from streamlit.testing.v1 import AppTest
import explorer_ui
explorer_ui.warm_up = lambda: None  # the import that follows the first view, on purpose
at = AppTest.from_file(sys.argv[1], default_timeout=60).run()
views = [e for e in at.get("bidi_component") if e.proto.component_name == "latent_map"]
carried = [e for e in at.get("bidi_component") if e.proto.component_name == "latent_map_payload"]
print(json.dumps({"exceptions": [e.value for e in at.exception], "errors": [e.value for e in at.error],
                  "key": json.loads(json.loads(views[0].proto.json)["json"])["key"], "carried": len(carried),
                  "heavy": sorted(m for m in ("torch", "scipy", "pandas", "sklearn", "onnxruntime") if m in sys.modules)}))
"""


@pytest.mark.slow
def test_the_home_maps_first_view_imports_no_torch():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", FIRST_VIEW, str(REPO / "tests" / "app_entry.py")], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    files = store.model_files(DEFAULT)
    cache = load_latent_cache(files.cache())
    stored = read_map(files.map_payload, DEFAULT, file_sha256(files.main), file_sha256(files.cache()), len(cache.mu))
    assert seen["exceptions"] == [] and seen["errors"] == []
    assert seen["key"] == stored.key and seen["carried"] == 1  # the stored payload rode along
    assert seen["heavy"] == []


WARM_UP = """
import gc, sys, threading
import explorer_ui
explorer_ui.warm_up()
for thread in [t for t in threading.enumerate() if t.name == "latent-explorer-warm-up"]:
    thread.join(120)
print(gc.get_freeze_count(), "torch" in sys.modules)
"""


@pytest.mark.slow
def test_the_warm_up_imports_torch_then_freezes_what_the_server_holds():
    # Streamlit collects garbage after every script run: what the server holds once warm is kept out of it.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", WARM_UP], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=180, check=True).stdout.split()
    assert int(out[-2]) > 100_000 and out[-1] == "True", out
