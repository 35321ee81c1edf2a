"""What a training run will cost, estimated before it starts, and what the folder already holds.

The estimate is parameters x images x epochs at rates measured on the project's two-core CPU
machine with the app's one training thread (bench/train_cost.py prints them against real runs):
about 1e-10 s per parameter and image, plus 3.3e-5 s per image at batch 128 (data, optimiser,
Python), which grows as batches shrink; every epoch also evaluates the test split (forward only,
about a third of a training pass).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vae_core.storage import store
from vae_core.storage.settings import ServingLimits
from vae_core.training.train import TrainSettings

SECONDS_PER_PARAMETER_IMAGE = 1.0e-10
SECONDS_PER_IMAGE_AT_128 = 3.3e-5
TEST_IMAGES = 10_000
TRAIN_IMAGES = {"mnist": 60_000, "fashion-mnist": 60_000}


def estimate_seconds(settings: TrainSettings) -> float:
    """About how long `settings` trains on this kind of machine (CPU, one thread)."""
    n_train = TRAIN_IMAGES[settings.dataset]
    n_train = min(n_train, settings.limit) if settings.limit else max(1, round(settings.train_share * n_train))
    per_image = (SECONDS_PER_PARAMETER_IMAGE * settings.config().parameter_count
                 + SECONDS_PER_IMAGE_AT_128 * 128 / settings.batch_size)
    return settings.epochs * (n_train + TEST_IMAGES / 3) * per_image


def _minutes(value: float) -> str:
    return f"{value:g} minute{'' if value == 1 else 's'}"


@dataclass(frozen=True)
class TrainedUsage:
    """The models the app trained in a folder: how many and their files' total size in MB."""

    count: int
    mb: float


def trained_usage(folder: Path) -> TrainedUsage:
    names = [name for name in store.list_models(folder) if store.trained_here(name, folder)]
    size = sum(_size(p) for name in names for p in store.model_files(name, folder).all_files)
    return TrainedUsage(len(names), size / 1e6)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # absent, or deleted meanwhile
        return 0


def refusal(settings: TrainSettings, folder: Path, limits: ServingLimits) -> str | None:
    """Why this run may not start on this server (a sentence), or None."""
    minutes = estimate_seconds(settings) / 60
    if minutes > limits.max_run_minutes:
        return (f"this run would take about {minutes:.0f} minutes here; this server allows runs of up to "
                f"{_minutes(limits.max_run_minutes)}. Use fewer epochs, a smaller share of the training set, "
                "narrower hidden layers or a larger batch")
    usage = trained_usage(folder)
    if usage.count >= limits.max_trained_models:
        return (f"this server already holds {usage.count} trained models, its limit; delete one on this page "
                "(or ask whoever runs the server) before training another")
    if usage.mb >= limits.max_trained_mb:
        return (f"the trained models here take {usage.mb:.0f} MB, this server's limit is {limits.max_trained_mb:g} MB; "
                "delete one before training another")
    return None
