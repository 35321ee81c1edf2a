"""A small CNN that names the digit (or garment) in a 28x28 image: the judge of decoded samples.

    python -m vae_core.analysis.classifier --dataset mnist --epochs 6 --out models/classifiers/mnist_cnn.pt

The app asks it whether a decoded image looks like some class: a confident
verdict (probability >= 0.9) on a prior sample means the decoder turned
that z into something recognisable.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from vae_core.commands.run import run_cli
from vae_core.data.datasets import DATASETS, load_split
from vae_core.storage.checkpoint import build_from_payload, read_payload, save_checkpoint
from vae_core.storage.settings import data_root, models_dir

CONFIDENT = 0.9


@dataclass(frozen=True)
class ClassifierConfig:
    """Two 3x3 conv blocks (each halves the image) and one hidden dense layer."""

    dataset: str = "mnist"
    channels: tuple[int, int] = (32, 64)
    hidden: int = 128

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {DATASETS}, got {self.dataset!r}")
        if (not isinstance(self.channels, list | tuple) or len(self.channels) != 2
                or any(not isinstance(c, int) or not 1 <= c <= 256 for c in self.channels)):
            raise ValueError(f"channels must be two widths from 1 to 256, got {self.channels!r}")
        if not isinstance(self.hidden, int) or not 1 <= self.hidden <= 2048:
            raise ValueError(f"hidden must be a width from 1 to 2048, got {self.hidden!r}")
        object.__setattr__(self, "channels", tuple(self.channels))

    @classmethod
    def from_dict(cls, values: dict) -> ClassifierConfig:
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        return cls(**values)


class Classifier(nn.Module):
    """(B, 1, 28, 28) in [0, 1] -> class logits (B, 10)."""

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        c1, c2 = config.channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(c2 * 7 * 7, config.hidden), nn.ReLU(), nn.Dropout(0.3), nn.Linear(config.hidden, 10)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.reshape(-1, 1, 28, 28)))


def classifier_path(dataset: str) -> Path:
    """models/classifiers/<dataset>_cnn.pt: beside the VAEs but out of the model selector."""
    return models_dir() / "classifiers" / f"{dataset}_cnn.pt"


def load_classifier(path: str | Path) -> tuple[Classifier, dict]:
    """(model in eval mode, metrics); CheckpointError for a bad file."""
    return build_from_payload(Path(path).name, read_payload(path), ClassifierConfig, Classifier)


@torch.inference_mode()
def class_probabilities(model: Classifier, images, batch_size: int = 1000) -> np.ndarray:
    """images (tensor or array): (N, 28, 28), (N, 1, 28, 28) or (N, 784) in [0, 1] -> probabilities (N, 10) float32."""
    images = torch.as_tensor(images, dtype=torch.float32)
    parts = [F.softmax(model(images[i : i + batch_size]), dim=1) for i in range(0, len(images), batch_size)]
    return torch.cat(parts).numpy().astype(np.float32) if parts else np.zeros((0, 10), np.float32)


def verdict(probabilities: np.ndarray) -> dict:
    """What the classifier says about a batch of images. probabilities: (N, 10).

    confident_share: share of images with some class at probability >= 0.9.
    class_counts: (10,) confident images per class.
    class_entropy_bits: entropy of the confident images' classes (log2(10) = 3.32
    when every class is equally common; 0 when all are one class).
    """
    top = probabilities.argmax(axis=1)
    confident = probabilities.max(axis=1) >= CONFIDENT
    counts = np.bincount(top[confident], minlength=10)
    shares = counts[counts > 0] / max(counts.sum(), 1)
    return {
        "confident_share": float(confident.mean()) if len(confident) else 0.0,
        "class_counts": counts.tolist(),
        "class_entropy_bits": float(abs((shares * np.log2(shares)).sum())),
    }


def _shifted(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The batch moved by one random shift of up to 2 px in each direction (a new shift per batch)."""
    padded = F.pad(x, (2, 2, 2, 2))
    dx, dy = torch.randint(0, 5, (2,), generator=generator).tolist()
    return padded[:, :, dy : dy + 28, dx : dx + 28]


def train_classifier(config: ClassifierConfig, images: torch.Tensor, labels: torch.Tensor,
                     epochs: int = 6, seed: int = 0, batch_size: int = 128, lr: float = 1e-3) -> tuple[Classifier, dict]:
    """Adam with cosine decay on (N, 1, 28, 28) images and (N,) labels; returns (model in eval mode, metrics)."""
    torch.manual_seed(seed)
    model = Classifier(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = (len(images) + batch_size - 1) // batch_size
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps)
    generator = torch.Generator().manual_seed(seed)
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(images), generator=generator)
        for step in tqdm(range(steps), desc=f"epoch {epoch}/{epochs}", leave=False):
            batch = order[step * batch_size : (step + 1) * batch_size]
            loss = F.cross_entropy(model(_shifted(images[batch], generator)), labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
    model.eval()
    return model, {"epochs": epochs, "seed": seed, "train_seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=data_root())
    parser.add_argument("--dataset", choices=DATASETS, default="mnist")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="default: models/classifiers/<dataset>_cnn.pt")
    args = parser.parse_args(argv)
    images, labels = load_split(args.data_root, args.dataset, train=True)
    model, metrics = train_classifier(ClassifierConfig(dataset=args.dataset), images, labels, args.epochs, args.seed)
    test_images, test_labels = load_split(args.data_root, args.dataset, train=False)
    predicted = class_probabilities(model, test_images).argmax(axis=1)
    metrics["test_accuracy"] = float((predicted == test_labels.numpy()).mean())
    out = args.out or classifier_path(args.dataset)
    save_checkpoint(model, out, metrics)
    print(f"saved {out}: test accuracy {metrics['test_accuracy']:.4f}, {metrics['train_seconds']} s")


if __name__ == "__main__":
    run_cli(main)
