"""Train a VAE, beta-VAE or plain autoencoder on MNIST or Fashion-MNIST.

    latent-explorer train --data-root ../shared/data --dataset mnist \
        --model vae --latent-dim 2 --beta 1 --epochs 60 --seed 0 --out models/mnist_vae_z2.pt

The app's Train page runs the same `fit` (vae_core.training.jobs), with a progress
callback and a cancel flag.
"""
from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from vae_core.analysis.evaluate import test_terms
from vae_core.commands.run import run_cli
from vae_core.data.datasets import DATASETS, load_split
from vae_core.models.config import VAEConfig
from vae_core.models.losses import kl_to_standard_normal, reconstruction_nll
from vae_core.models.model import VAE
from vae_core.storage import store
from vae_core.storage.checkpoint import save_checkpoint
from vae_core.storage.latents import encode_all
from vae_core.storage.settings import data_root

DEVICES = ("auto", "cpu", "cuda", "mps")


class TrainingCancelled(Exception):
    """Raised by `train_model` when its `should_stop()` turns true: the run is dropped, nothing is written."""
def batch_loss(model: VAE, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean over the batch of (objective, reconstruction, KL), in nats per example.

    x: (B, 1, 28, 28). The objective is recon + beta * KL for a VAE (the
    negative ELBO when beta = 1) and recon alone for an autoencoder.
    """
    logits, mu, logvar = model(x)
    recon = reconstruction_nll(logits, x).mean()
    if not model.is_vae:
        return recon, recon, torch.zeros(())
    kl = kl_to_standard_normal(mu, logvar).mean()
    return recon + model.config.beta * kl, recon, kl


@dataclass(frozen=True)
class Progress:
    """Where a run stands: `step` of `steps` batches of epoch `epoch` of `epochs` done, `elapsed` seconds in.

    After an epoch's last batch, `entry` is its history record and `watch_mu` (n, D) the
    means of the watched images (see `train_model`); before that both are None.
    """

    epoch: int
    epochs: int
    step: int
    steps: int
    elapsed: float
    entry: dict | None = None
    watch_mu: np.ndarray | None = field(default=None, repr=False)

    @property
    def fraction(self) -> float:
        """Share of all batches done, 0 to 1."""
        return ((self.epoch - 1) * self.steps + self.step) / (self.epochs * self.steps)

    @property
    def remaining(self) -> float | None:
        """Seconds left at the pace so far (None before the first batch)."""
        done = self.fraction
        return self.elapsed * (1 - done) / done if done > 0 else None


def pick_device(choice: str = "auto") -> torch.device:
    """"auto": CUDA if torch sees it, else Apple's MPS, else the CPU. A device asked for by
    name that torch does not see is an error, not a silent fallback."""
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if choice == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if choice not in DEVICES or (choice == "cuda" and not cuda) or (choice == "mps" and not mps):
        raise ValueError(f"device {choice!r} is not available here (CUDA: {cuda}, MPS: {mps})")
    return torch.device(choice)


def describe_device(device: torch.device, threads: int | None = None) -> str:
    """A line for people: "CUDA GPU (NVIDIA H100 80GB HBM3)", "Apple GPU (MPS)" or "CPU (2 threads)"
    (`threads`: those the run will use, else torch's current setting)."""
    if device.type == "cuda":
        return f"CUDA GPU ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    threads = threads or torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"


def train_model(
    config: VAEConfig,
    images: torch.Tensor,
    epochs: int,
    seed: int = 0,
    batch_size: int = 128,
    lr: float = 1e-3,
    progress: bool = True,
    test_images: torch.Tensor | None = None,
    device: torch.device | str = "cpu",
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    watch_images: torch.Tensor | None = None,
) -> tuple[VAE, dict]:
    """Adam with a cosine learning-rate decay. images: (N, 1, 28, 28) in [0, 1], on the CPU.

    Returns the trained model (eval mode, on the CPU) and training metrics. The
    history has one entry per epoch: the running means of the training batches
    and, when `test_images` are given, the test set's reconstruction and KL (nats).
    `on_progress` hears of every batch; after each epoch it also gets the entry
    and the posterior means of `watch_images` (n, 1, 28, 28), so a caller can
    draw the latent space forming. `should_stop` is asked before every batch;
    when it says yes, TrainingCancelled is raised.
    """
    device = torch.device(device)
    torch.manual_seed(seed)
    model = VAE(config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(len(images) / batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
    shuffle = torch.Generator().manual_seed(seed)
    started = time.perf_counter()
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(images), generator=shuffle)
        totals = torch.zeros(3, device=device)
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{epochs}", disable=not progress, leave=False)
        for step in bar:
            if should_stop is not None and should_stop():
                raise TrainingCancelled(f"cancelled in epoch {epoch}, batch {step + 1}")
            x = images[order[step * batch_size : (step + 1) * batch_size]].to(device)
            objective, recon, kl = batch_loss(model, x)
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
            scheduler.step()
            totals += torch.stack([objective.detach(), recon.detach(), kl.detach()]) * len(x)
            if progress:
                bar.set_postfix(loss=f"{objective.item():.1f}")
            if on_progress is not None and step + 1 < steps_per_epoch:
                on_progress(Progress(epoch, epochs, step + 1, steps_per_epoch, time.perf_counter() - started))
        means = (totals / len(images)).tolist()
        entry = {"epoch": epoch, "loss": means[0], "recon": means[1], "kl": means[2]}
        if test_images is not None:
            entry.update(zip(("test_recon", "test_kl"), test_terms(model, test_images), strict=True))
        history.append(entry)
        if progress:
            tqdm.write(f"epoch {epoch:3d}  " + "  ".join(f"{k} {v:7.2f}" for k, v in entry.items() if k != "epoch"))
        if on_progress is not None:
            on_progress(Progress(epoch, epochs, steps_per_epoch, steps_per_epoch, time.perf_counter() - started,
                                 dict(entry), _means(model, watch_images)))
    metrics = {
        "dataset": config.dataset,
        "epochs": epochs,
        "seed": seed,
        "batch_size": batch_size,
        "lr": lr,
        "train_seconds": round(time.perf_counter() - started, 1),
        "final_train_loss": history[-1]["loss"] if history else None,
        "history": history,
    }
    model.eval().cpu()
    return model, metrics


def _means(model: VAE, images: torch.Tensor | None) -> np.ndarray | None:
    """Posterior means (n, D) of images (n, 1, 28, 28) under the model as it is now; its mode is restored."""
    if images is None:
        return None
    was_training = model.training
    model.eval()
    mu, _ = encode_all(model, images.to(next(model.parameters()).device))
    model.train(was_training)
    return mu.cpu().numpy()


@dataclass(frozen=True)
class TrainSettings:
    """Everything one training run is made of; the CLI's flags and the Train page's form fill it.

    train_share: the share of the training split used, drawn with the seed
    (1.0: all of it); limit: else the first N images only (smoke tests).
    """

    dataset: str = "mnist"
    kind: str = "vae"
    latent_dim: int = 2
    beta: float = 1.0
    hidden_dims: tuple[int, ...] = (512, 256)
    epochs: int = 60
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    train_share: float = 1.0
    limit: int | None = None
    device: str = "auto"

    def __post_init__(self) -> None:
        self.config()  # the model's own bounds
        checks = [(1 <= self.epochs <= 1000, "epochs must be 1 to 1000"),
                  (1 <= self.batch_size <= 4096, "batch size must be 1 to 4096"),
                  (0 < self.lr <= 1, "learning rate must be in (0, 1]"),
                  (0 < self.train_share <= 1, "train share must be in (0, 1]"),
                  (self.limit is None or self.limit >= 1, "limit must be at least 1"),
                  (self.device in DEVICES, f"device must be one of {', '.join(DEVICES)}")]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def config(self) -> VAEConfig:
        return VAEConfig(kind=self.kind, latent_dim=self.latent_dim, beta=self.beta,
                         hidden_dims=tuple(self.hidden_dims), dataset=self.dataset)

    def to_dict(self) -> dict:
        return {**asdict(self), "hidden_dims": list(self.hidden_dims)}


def training_subset(n: int, settings: TrainSettings) -> torch.Tensor:
    """Indices (M,) of the training images a run uses: the first `limit`, or a seeded draw of `train_share`."""
    if settings.limit:
        return torch.arange(min(n, settings.limit))
    if settings.train_share >= 1:
        return torch.arange(n)
    drawn = torch.randperm(n, generator=torch.Generator().manual_seed(settings.seed))
    return drawn[: max(1, round(settings.train_share * n))].sort().values


def fit(
    settings: TrainSettings,
    root: str | Path,
    progress: bool = True,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    watch: np.ndarray | None = None,
) -> tuple[VAE, dict]:
    """Read the dataset under `root` and run `train_model` with these settings; the whole
    test set is measured after every epoch. watch: test-set rows whose means `on_progress` gets."""
    images, _ = load_split(root, settings.dataset, train=True)
    test_images, _ = load_split(root, settings.dataset, train=False)
    images = images[training_subset(len(images), settings)]
    model, metrics = train_model(
        settings.config(), images, settings.epochs, settings.seed, settings.batch_size, settings.lr, progress,
        test_images=test_images, device=pick_device(settings.device), on_progress=on_progress,
        should_stop=should_stop, watch_images=None if watch is None else test_images[torch.as_tensor(watch)],
    )
    metrics.update(train_images=len(images), train_share=settings.train_share)
    return model, metrics


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="latent-explorer train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=data_root(),
                        help="folder holding MNIST/raw or FashionMNIST/raw (default: $MNIST_DATA_ROOT or <repo>/../shared/data)")
    parser.add_argument("--dataset", choices=DATASETS, default="mnist")
    parser.add_argument("--model", choices=("vae", "ae"), default="vae")
    parser.add_argument("--latent-dim", type=int, default=2)
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--hidden", type=int, nargs="+", default=[512, 256], help="encoder widths; decoder mirrors them")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-share", type=float, default=1.0, help="share of the training split to use, drawn with the seed")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images only (smoke tests)")
    parser.add_argument("--device", choices=DEVICES, default="auto", help="auto: CUDA, else Apple MPS, else the CPU")
    parser.add_argument("--no-cache", action="store_true", help="skip writing the latent cache beside the checkpoint")
    parser.add_argument("--out", required=True, type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        settings = TrainSettings(
            dataset=args.dataset, kind=args.model, latent_dim=args.latent_dim, beta=args.beta,
            hidden_dims=tuple(args.hidden), epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
            train_share=args.train_share, limit=args.limit, device=args.device,
        )
        print(f"training on {describe_device(pick_device(settings.device))}")
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    files = store.files_for_path(args.out)
    if files.manifest.exists():  # a checkpoint of that name would hide the imported model and replace its caches
        raise SystemExit(f"error: {files.name} is an imported model in {files.folder}; choose another --out")
    model, metrics = fit(settings, args.data_root)  # the test set stays whole: the history's test terms cover all of it
    if args.no_cache:
        save_checkpoint(model, args.out, metrics)
    else:
        store.save_native(model, files, metrics, args.data_root)
    print(f"saved {args.out} ({model.n_parameters():,} parameters, {metrics['train_seconds']} s)"
          + ("" if args.no_cache else f" and its latent caches {files.cache().name}, {files.cache(True).name}"))


if __name__ == "__main__":
    run_cli(main)
