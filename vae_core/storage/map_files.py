"""What the home map's first view needs of a model, kept beside it: with these the map opens without
importing torch (about 2 s of a cold server's start) and without its nearest-neighbour search (about 1 s).

    NAME.facts.json  {"format": "latent-explorer-facts", "version": 1, "model_sha256", "info": ModelInfo's
                     fields, "metrics": the checkpoint's (or manifest's) metrics}: the sidebar's model card
    NAME.map.bin     the map's model payload (vae_core.storage.payload: the decoder and the test posteriors),
                     whose header also records "model_sha256", "cache_sha256" (of NAME.latents.npz) and
                     "misplaced" (the test rows whose 15 nearest other means vote for another label)

`store.save_unit` writes both with the model; `python -m vae_core.storage.map_files` writes them for
models saved before they existed. Each is used only while it records the current hashes of the files it
was made from: a stale, damaged or missing one is ignored, and the pages load the model itself.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vae_core.models.latent_model import ModelInfo
from vae_core.storage.checkpoint import atomic_write, file_sha256
from vae_core.storage.payload import pack_model_payload, read_header

if TYPE_CHECKING:
    from vae_core.models.latent_model import LatentModel
    from vae_core.storage.latents import LatentCache
    from vae_core.storage.store import ModelFiles

FACTS_FORMAT, FACTS_VERSION = "latent-explorer-facts", 1
MAX_FACTS_BYTES = 1 << 20  # a checkpoint's metrics are a few kB (store keeps them small)
MAX_PAYLOAD_BYTES = 96 << 20  # a 16 M-parameter decoder (the largest the map sends) is 64 MB


def build_facts(info: ModelInfo, metrics: dict, model_sha256: str) -> dict:
    return {"format": FACTS_FORMAT, "version": FACTS_VERSION, "model_sha256": model_sha256,
            "info": asdict(info), "metrics": metrics}


def read_facts(path: str | Path, model_sha256: str) -> tuple[ModelInfo, dict] | None:
    """(info, metrics) from a facts file that records this model file's hash; None if it does not, or is unreadable."""
    try:
        if Path(path).stat().st_size > MAX_FACTS_BYTES:
            return None
        facts = json.loads(Path(path).read_text())
        if (facts.get("format"), facts.get("version"), facts.get("model_sha256")) != (FACTS_FORMAT, FACTS_VERSION,
                                                                                      model_sha256):
            return None
        names = {f.name for f in fields(ModelInfo)}
        info = ModelInfo(**{k: v for k, v in facts["info"].items() if k in names})
        metrics = facts["metrics"]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    fine = (isinstance(info.kind, str) and type(info.latent_dim) is int and isinstance(info.dataset, str)
            and isinstance(metrics, dict))
    return (info, metrics) if fine else None


@dataclass(frozen=True)
class StoredMap:
    """A stored model payload: its content key, its bytes, and the test rows the search calls misplaced."""

    key: str
    payload: bytes
    misplaced: tuple[int, ...]


def pack_map(name: str, model: LatentModel, test: LatentCache, model_sha256: str, cache_sha256: str) -> bytes:
    """The model payload of `name` with the notes `read_map` checks (runs the model: torch)."""
    from vae_core.analysis.explore import misplaced
    from vae_core.storage.export import browser_decoder

    notes = {"model_sha256": model_sha256, "cache_sha256": cache_sha256,
             "misplaced": [int(r) for r in misplaced(test.mu, test.labels)]}
    return pack_model_payload(name, browser_decoder(model), test, notes)[1]


def read_map(path: str | Path, name: str, model_sha256: str, cache_sha256: str, n_test: int) -> StoredMap | None:
    """The stored payload if it was packed for model `name` from these very files; None otherwise."""
    try:
        if Path(path).stat().st_size > MAX_PAYLOAD_BYTES:
            return None
        payload = Path(path).read_bytes()
        header = read_header(payload)
        rows = header["misplaced"]
        ends = [s["offset"] + np.dtype(s["dtype"]).itemsize * int(np.prod(s["shape"])) for s in header["sections"].values()]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if (header.get("kind"), header.get("model_name"), header.get("model_sha256"), header.get("cache_sha256")) != (
            "model", name, model_sha256, cache_sha256):
        return None
    if max(ends) > len(payload) or not all(type(r) is int and 0 <= r < n_test for r in rows):
        return None  # cut short, or not this cache's rows
    return StoredMap(str(header["key"]), payload, tuple(rows))


def write_map_files(files: ModelFiles, model: LatentModel, metrics: dict, test: LatentCache) -> None:
    """Write NAME.facts.json and NAME.map.bin for a model already on disk, each atomically."""
    model_sha256, cache_sha256 = file_sha256(files.main), file_sha256(files.cache())
    facts = json.dumps(build_facts(model.info, metrics, model_sha256))
    atomic_write(files.facts, lambda tmp: Path(tmp).write_text(facts))
    payload = pack_map(files.name, model, test, model_sha256, cache_sha256)
    atomic_write(files.map_payload, lambda tmp: Path(tmp).write_bytes(payload))


def main(argv: list[str] | None = None) -> None:
    from tqdm import tqdm

    from vae_core.storage import store

    parser = argparse.ArgumentParser(description="Write the map's stored first view (NAME.facts.json, NAME.map.bin) "
                                                 "for models saved without them.")
    parser.add_argument("--model", action="append", help="a model name (repeatable); default: every model in the folder")
    parser.add_argument("--folder", type=Path, default=None, help="the models folder (default: the app's)")
    args = parser.parse_args(argv)
    for name in tqdm(args.model or store.list_models(args.folder), desc="map files", unit="model"):
        files = store.model_files(name, args.folder)
        model, metrics = store.load_model(files)
        write_map_files(files, model, metrics, store.load_cache(files, model.info.latent_dim, file_sha256(files.main)))


if __name__ == "__main__":
    main()
