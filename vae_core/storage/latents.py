"""The latent caches: posterior parameters of the 10,000 test images (NAME.latents.npz)
and of the 60,000 training images (NAME.train_latents.npz), so the app draws the
latent map without the dataset.

    latent-explorer latents --model mnist_vae_z2 --data-root ../shared/data
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vae_core.commands.run import run_cli
from vae_core.data.datasets import load_split
from vae_core.models.config import MAX_LATENT_DIM
from vae_core.models.latent_model import LatentModel
from vae_core.storage.checkpoint import atomic_write, file_sha256
from vae_core.storage.settings import data_root

if TYPE_CHECKING:  # a cache is read without torch (the map's first view); encoding imports it
    import torch


@dataclass(frozen=True)
class LatentCache:
    """mu, logvar: (N, D) float32; labels: (N,) int64, in torchvision's order of the split;
    checkpoint_sha256: the checkpoint file it was encoded with (a cache and its checkpoint are one unit).

    The test split's cache may also hold per-image measures the map colours by (vae_core.analysis.digit_measures),
    each (N,) float32 or None: recon_error, -log p(x | z = mu) in nats; label_confidence, the dataset's
    classifier's probability of the true label for decoder(mu); and for a model above 2-D, umap: (N, 2) float32,
    a UMAP layout of mu (vae_core.analysis.umap_layout)."""

    mu: np.ndarray
    logvar: np.ndarray
    labels: np.ndarray
    checkpoint_sha256: str | None = None
    recon_error: np.ndarray | None = None
    label_confidence: np.ndarray | None = None
    umap: np.ndarray | None = None

    @property
    def sigma(self) -> np.ndarray:
        return np.exp(0.5 * self.logvar)


def encode_all(model: LatentModel, images: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """images: (N, 1, 28, 28) -> mu, logvar: (N, D), encoded in batches."""
    import torch

    with torch.inference_mode():
        parts = [model.encode(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


def encode_split(model: LatentModel, data_root: str | Path, train: bool, checkpoint_sha256: str) -> LatentCache:
    """The posteriors of the test (or training) split under `model`, recorded as made from that checkpoint."""
    images, labels = load_split(data_root, model.info.dataset, train=train)
    mu, logvar = encode_all(model, images)
    return LatentCache(mu.numpy().astype(np.float32), logvar.numpy().astype(np.float32), labels.numpy(),
                       checkpoint_sha256)


def save_latent_cache(path: str | Path, cache: LatentCache) -> None:
    atomic_write(path, lambda tmp: save_npz(tmp, cache))


def save_npz(path: str, cache: LatentCache) -> None:
    arrays = {"mu": cache.mu, "logvar": cache.logvar, "labels": cache.labels}
    arrays.update({name: values for name in EXTRAS if (values := getattr(cache, name)) is not None})
    if cache.checkpoint_sha256:
        arrays["checkpoint_sha256"] = np.array(cache.checkpoint_sha256)
    with open(path, "wb") as handle:  # a file handle stops numpy appending ".npz"
        np.savez_compressed(handle, **arrays)


MEASURES = ("recon_error", "label_confidence")  # optional per-image arrays of a test cache
EXTRAS = (*MEASURES, "umap")  # and its UMAP layout (N, 2), for a model above 2-D

# A cache holds at most a training split (60,000) of at most MAX_LATENT_DIM dims; anything larger is not ours.
MAX_POINTS = 100_000


def load_latent_cache(path: str | Path) -> LatentCache:
    """Read a cache written by save_latent_cache; raises ValueError naming the file (not its folder)
    if it is malformed: missing arrays, odd shapes or sizes, non-finite values, labels outside 0-9."""
    name = Path(path).name
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            missing = {"mu", "logvar", "labels"} - set(data.files)
            if missing:
                raise ValueError(f"latent cache {name} lacks arrays {sorted(missing)}")
            present = ("mu", "logvar", "labels", *(m for m in EXTRAS if m in data.files))
            shapes = [data.zip.getinfo(f"{key}.npy").file_size for key in present]
            if max(shapes) > MAX_POINTS * MAX_LATENT_DIM * 8 + 1024:
                raise ValueError(f"latent cache {name} is larger than any this app writes")
            recorded = data["checkpoint_sha256"] if "checkpoint_sha256" in data.files else None
            sha = str(recorded) if recorded is not None and recorded.dtype.kind == "U" and recorded.ndim == 0 else None
            measures = {name: data[name] for name in EXTRAS if name in data.files}
            cache = LatentCache(data["mu"], data["logvar"], data["labels"], sha, **measures)
    except ValueError:
        raise
    except Exception as exc:  # a damaged zip fails in many ways (BadZipFile, EOFError, ...)
        raise ValueError(f"latent cache {name} is unreadable ({type(exc).__name__})") from exc
    _check_contents(name, cache)
    return cache


def _check_contents(name: str, cache: LatentCache) -> None:
    mu, logvar, labels = cache.mu, cache.logvar, cache.labels
    if mu.ndim != 2 or mu.shape != logvar.shape or labels.shape != (len(mu),) or not 2 <= len(mu) <= MAX_POINTS:
        raise ValueError(f"latent cache {name} has inconsistent shapes")
    if mu.dtype.kind != "f" or logvar.dtype.kind != "f" or labels.dtype.kind not in "iu":
        raise ValueError(f"latent cache {name} has arrays of the wrong type")
    # logvar is -inf for an autoencoder (sigma = 0); nothing else may be infinite or NaN.
    if not np.isfinite(mu).all() or np.isnan(logvar).any() or (logvar == np.inf).any():
        raise ValueError(f"latent cache {name} holds values that are not finite")
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"latent cache {name} has labels outside 0-9")
    for measure, high in (("recon_error", np.inf), ("label_confidence", 1.0)):
        values = getattr(cache, measure)
        if values is not None and not (values.shape == labels.shape and values.dtype.kind == "f"
                                       and np.isfinite(values).all() and values.min() >= 0 and values.max() <= high):
            raise ValueError(f"latent cache {name} has a malformed {measure}")
    layout = cache.umap
    if layout is not None and not (layout.shape == (len(mu), 2) and layout.dtype.kind == "f" and np.isfinite(layout).all()):
        raise ValueError(f"latent cache {name} has a malformed umap")


def main(argv: list[str] | None = None) -> None:
    from vae_core.storage import store  # the store builds on this module

    parser = argparse.ArgumentParser(prog="latent-explorer latents", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", help="a model's name in the models folder")
    which.add_argument("--checkpoint", type=Path, help="a model file: NAME.pt or NAME.model.json")
    parser.add_argument("--data-root", type=Path, default=data_root(),
                        help="folder holding MNIST/raw or FashionMNIST/raw (default: $MNIST_DATA_ROOT or <repo>/../shared/data)")
    args = parser.parse_args(argv)
    if args.model and not store.VALID_NAME.fullmatch(args.model):
        raise SystemExit(f"error: --model {args.model!r} is not a model name (letters, digits, '.', '_', '-')")
    files = store.model_files(args.model) if args.model else store.files_for_path(args.checkpoint)
    model, metrics = store.load_model(files)
    digest = file_sha256(files.main)
    from vae_core.analysis.digit_measures import with_map_extras  # it measures with vae_core.analysis
    from vae_core.storage.map_files import write_map_files  # it packs with this module's caches

    for train in (False, True):
        cache = encode_split(model, args.data_root, train, digest)
        cache = cache if train else with_map_extras(cache, model, args.data_root)
        save_latent_cache(files.cache(train), cache)
        print(f"saved {files.cache(train)}")
        if not train:  # the map's stored first view holds the test cache's hash: written anew with it
            write_map_files(files, model, metrics, cache)
            print(f"saved {files.map_payload}")


if __name__ == "__main__":
    run_cli(main)
