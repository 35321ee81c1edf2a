"""Train a VAE, beta-VAE or plain autoencoder on MNIST or Fashion-MNIST.

    python -m vae_core.train --data-root ../shared/data --dataset mnist \
        --model vae --latent-dim 2 --beta 1 --epochs 60 --seed 0 --out models/mnist_vae_z2.pt
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch
from tqdm import tqdm

from vae_core.checkpoint import remove_stale_temporaries, save_checkpoint
from vae_core.cli import run_cli
from vae_core.config import VAEConfig
from vae_core.data import DATASETS, load_split
from vae_core.evaluate import test_terms
from vae_core.latents import cache_path_for, save_model_with_caches
from vae_core.losses import kl_to_standard_normal, reconstruction_nll
from vae_core.model import VAE
from vae_core.settings import data_root


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


def train_model(
    config: VAEConfig,
    images: torch.Tensor,
    epochs: int,
    seed: int = 0,
    batch_size: int = 128,
    lr: float = 1e-3,
    progress: bool = True,
    test_images: torch.Tensor | None = None,
) -> tuple[VAE, dict]:
    """Adam with a cosine learning-rate decay. images: (N, 1, 28, 28) in [0, 1].

    Returns the trained model (eval mode) and training metrics. The history has
    one entry per epoch: the running means of the training batches and, when
    `test_images` are given, the test set's reconstruction and KL (nats).
    """
    torch.manual_seed(seed)
    model = VAE(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(len(images) / batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
    shuffle = torch.Generator().manual_seed(seed)
    started = time.perf_counter()
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(images), generator=shuffle)
        totals = torch.zeros(3)
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{epochs}", disable=not progress, leave=False)
        for step in bar:
            x = images[order[step * batch_size : (step + 1) * batch_size]]
            objective, recon, kl = batch_loss(model, x)
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
            scheduler.step()
            totals += torch.stack([objective.detach(), recon.detach(), kl.detach()]) * len(x)
            bar.set_postfix(loss=f"{objective.item():.1f}")
        means = (totals / len(images)).tolist()
        entry = {"epoch": epoch, "loss": means[0], "recon": means[1], "kl": means[2]}
        if test_images is not None:
            entry.update(zip(("test_recon", "test_kl"), test_terms(model, test_images), strict=True))
        history.append(entry)
        if progress:
            tqdm.write(f"epoch {epoch:3d}  " + "  ".join(f"{k} {v:7.2f}" for k, v in entry.items() if k != "epoch"))
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
    model.eval()
    return model, metrics


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images only (smoke tests)")
    parser.add_argument("--no-cache", action="store_true", help="skip writing the latent cache beside the checkpoint")
    parser.add_argument("--out", required=True, type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = VAEConfig(
        kind=args.model, latent_dim=args.latent_dim, beta=args.beta,
        hidden_dims=tuple(args.hidden), dataset=args.dataset,
    )
    images, _ = load_split(args.data_root, args.dataset, train=True)
    test_images, _ = load_split(args.data_root, args.dataset, train=False)
    if args.limit:  # the test set stays whole: the history's test terms are always over all of it
        images = images[: args.limit]
    model, metrics = train_model(config, images, args.epochs, args.seed, args.batch_size, args.lr, test_images=test_images)
    remove_stale_temporaries(args.out.parent, [args.out.name, cache_path_for(args.out).name,
                                               cache_path_for(args.out, True).name])
    if args.no_cache:
        save_checkpoint(model, args.out, metrics)
    else:
        save_model_with_caches(model, args.out, metrics, args.data_root)
    print(f"saved {args.out} ({model.n_parameters():,} parameters, {metrics['train_seconds']} s)"
          + ("" if args.no_cache else f" and its latent caches {cache_path_for(args.out).name}, "
                                      f"{cache_path_for(args.out, True).name}"))


if __name__ == "__main__":
    run_cli(main)
