"""Where things live, decided once for the app, the CLIs, the benches, the docs scripts and the tests.

    MNIST_DATA_ROOT          folder holding MNIST/raw (and FashionMNIST/raw); default <repo>/../shared/data
    LATENT_EXPLORER_MODELS   folder of checkpoints and latent caches; default <repo>/models

The defaults hang off the repository, not the working directory, so a command
run from any folder finds the same files.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def data_root() -> Path:
    """$MNIST_DATA_ROOT, else <repo>/../shared/data."""
    return Path(os.environ.get("MNIST_DATA_ROOT") or REPO.parent / "shared" / "data")


def models_dir() -> Path:
    """$LATENT_EXPLORER_MODELS, else <repo>/models."""
    return Path(os.environ.get("LATENT_EXPLORER_MODELS") or REPO / "models")
