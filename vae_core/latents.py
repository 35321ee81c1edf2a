"""The latent caches: posterior parameters of the 10,000 test images (NAME.latents.npz)
and of the 60,000 training images (NAME.train_latents.npz), so the app draws the
latent map without the dataset.

    python -m vae_core.latents --checkpoint models/mnist_vae_z2.pt --data-root ../shared/data
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vae_core.checkpoint import atomic_write, load_checkpoint
from vae_core.cli import run_cli
from vae_core.data import load_split
from vae_core.model import VAE
from vae_core.settings import data_root


@dataclass(frozen=True)
class LatentCache:
    """mu, logvar: (N, D) float32; labels: (N,) int64, in torchvision's order of the split."""

    mu: np.ndarray
    logvar: np.ndarray
    labels: np.ndarray

    @property
    def sigma(self) -> np.ndarray:
        return np.exp(0.5 * self.logvar)


def cache_path_for(checkpoint: str | Path, train: bool = False) -> Path:
    """models/NAME.pt -> models/NAME.latents.npz (test split) or models/NAME.train_latents.npz"""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + (".train_latents.npz" if train else ".latents.npz"))


@torch.inference_mode()
def encode_all(model: VAE, images: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """images: (N, 1, 28, 28) -> mu, logvar: (N, D), encoded in batches."""
    parts = [model.encode(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


def build_latent_cache(model: VAE, data_root: str | Path, out: str | Path, train: bool = False) -> LatentCache:
    """Encode the test (or training) split and write mu, logvar, labels to `out` atomically."""
    images, labels = load_split(data_root, model.config.dataset, train=train)
    mu, logvar = encode_all(model, images)
    cache = LatentCache(mu.numpy().astype(np.float32), logvar.numpy().astype(np.float32), labels.numpy())
    atomic_write(out, lambda tmp: _save_npz(tmp, cache))
    return cache


def _save_npz(path: str, cache: LatentCache) -> None:
    with open(path, "wb") as handle:  # a file handle stops numpy appending ".npz"
        np.savez_compressed(handle, mu=cache.mu, logvar=cache.logvar, labels=cache.labels)


def load_latent_cache(path: str | Path) -> LatentCache:
    """Read a cache written by build_latent_cache; raises ValueError if malformed."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            missing = {"mu", "logvar", "labels"} - set(data.files)
            if missing:
                raise ValueError(f"latent cache {path} lacks arrays {sorted(missing)}")
            cache = LatentCache(data["mu"], data["logvar"], data["labels"])
    except ValueError:
        raise
    except Exception as exc:  # a damaged zip fails in many ways (BadZipFile, EOFError, ...)
        raise ValueError(f"latent cache {path} is unreadable ({type(exc).__name__}: {exc})") from exc
    if cache.mu.ndim != 2 or cache.mu.shape != cache.logvar.shape or cache.labels.shape != (len(cache.mu),):
        raise ValueError(f"latent cache {path} has inconsistent shapes")
    return cache


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--data-root", type=Path, default=data_root(),
                        help="folder holding MNIST/raw or FashionMNIST/raw (default: $MNIST_DATA_ROOT or <repo>/../shared/data)")
    args = parser.parse_args(argv)
    model, _ = load_checkpoint(args.checkpoint)
    for train in (False, True):
        out = cache_path_for(args.checkpoint, train)
        build_latent_cache(model, args.data_root, out, train)
        print(f"saved {out}")


if __name__ == "__main__":
    run_cli(main)
