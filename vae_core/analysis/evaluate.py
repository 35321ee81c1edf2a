"""Evaluate a checkpoint on the test split and print one JSON object.

    latent-explorer evaluate --checkpoint models/mnist_vae_z2.pt --data-root ../shared/data --json
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
from tqdm import tqdm

from vae_core.analysis import explore
from vae_core.analysis.classifier import Classifier, class_probabilities, classifier_path, load_classifier, verdict
from vae_core.commands.run import run_cli
from vae_core.data.datasets import load_split
from vae_core.models.latent_model import LatentModel
from vae_core.models.losses import kl_to_standard_normal, log_normal, reconstruction_nll
from vae_core.storage import store
from vae_core.storage.latents import encode_all
from vae_core.storage.settings import data_root


def _device(model: LatentModel) -> torch.device:
    """Where a native model's weights are (one still on the GPU in training measures there); else the CPU."""
    if isinstance(model, torch.nn.Module):
        return next(model.parameters()).device
    return torch.device("cpu")


def n_parameters(model: LatentModel) -> int | None:
    """Trainable parameters of a native model; None for an imported one (its graph is not torch's)."""
    return sum(p.numel() for p in model.parameters()) if isinstance(model, torch.nn.Module) else None


@torch.inference_mode()
def elbo_terms(model: LatentModel, images: torch.Tensor, n_samples: int = 10,
               batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-example reconstruction NLL averaged over `n_samples` posterior draws,
    and the closed-form KL. images: (N, 1, 28, 28) -> recon (N,), kl (N,).
    An autoencoder has one deterministic z and no KL (kl is all zeros)."""
    recon_parts, kl_parts = [], []
    device = _device(model)
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device)
        mu, logvar = model.encode(x)
        draws = n_samples if model.is_vae else 1
        recon = sum(reconstruction_nll(model.decode_logits(model.sample_posterior(mu, logvar)), x) for _ in range(draws))
        recon_parts.append((recon / draws).cpu())
        kl_parts.append(kl_to_standard_normal(mu, logvar).cpu() if model.is_vae else torch.zeros(len(x)))
    return torch.cat(recon_parts), torch.cat(kl_parts)


@torch.inference_mode()
def importance_weighted_nll(
    model: LatentModel, images: torch.Tensor, k: int = 1000, chunk: int = 10, progress: bool = False
) -> torch.Tensor:
    """-log p(x) estimated with k importance samples from q(z|x) (Burda et al., 2016):
    log p(x) ~= logsumexp_k[log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log k.
    images: (N, 1, 28, 28) -> (N,) in nats."""
    out = []
    for start in tqdm(range(0, len(images), chunk), desc="iw-nll", disable=not progress, leave=False):
        x = images[start : start + chunk]
        mu, logvar = model.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(k, *mu.shape)  # (k, B, D)
        logits = model.decode_logits(z.reshape(-1, mu.shape[1]))
        x_rep = x.reshape(1, len(x), -1).expand(k, -1, -1).reshape(k * len(x), -1)
        log_px_z = -reconstruction_nll(logits, x_rep).reshape(k, len(x))
        log_pz = log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
        log_qz = log_normal(z, mu, logvar)
        out.append(-(torch.logsumexp(log_px_z + log_pz - log_qz, dim=0) - math.log(k)))
    return torch.cat(out)


def binarized(images: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """A fixed stochastic binarization of images in [0, 1]: each pixel is 1 with probability its
    intensity, drawn once from a seeded generator (the binarized-MNIST protocol under which Burda et al.
    2016 and Davidson et al. 2018 report test log-likelihoods). Shape unchanged."""
    return torch.bernoulli(images, generator=torch.Generator().manual_seed(seed))


def knn_accuracy(
    reference: torch.Tensor, reference_labels: torch.Tensor, query: torch.Tensor, query_labels: torch.Tensor, k: int = 15
) -> float:
    """Share of query points whose majority label among their k nearest
    reference points (Euclidean) is their own label. reference: (M, D), query: (N, D).
    The vote is the app's (vae_core.analysis.explore.majority_labels)."""
    top, _ = explore.majority_labels(reference.numpy(), reference_labels.numpy(), query.numpy(), k)
    return float((top == query_labels.numpy()).mean())


def test_terms(model: LatentModel, images: torch.Tensor, seed: int | None = None) -> tuple[float, float]:
    """Mean reconstruction and KL (nats) of images (N, 1, 28, 28), one posterior draw each. The draw
    runs on a forked RNG (seeded if `seed` is given), so measuring never changes a training run; the
    model's train/eval mode is restored."""
    was_training = getattr(model, "training", False)  # only a native model has a train/eval mode
    with torch.random.fork_rng():
        if seed is not None:
            torch.manual_seed(seed)
        if isinstance(model, torch.nn.Module):
            model.eval()
        recon, kl = elbo_terms(model, images, n_samples=1)
    if isinstance(model, torch.nn.Module):
        model.train(was_training)
    return recon.mean().item(), kl.mean().item()


def prior_verdict(model: LatentModel, classifier: Classifier, n: int = 4000, seed: int = 0) -> dict:
    """The classifier's `verdict` on n decoded prior samples z ~ N(0, I) of `model`."""
    z = explore.prior_samples(n, model.info.latent_dim, seed)
    return verdict(class_probabilities(classifier, explore.decode(model, z)))


def evaluate(
    checkpoint: str | Path, data_root: str | Path, limit: int | None = None, iw_samples: int = 1000, seed: int = 0,
    progress: bool = False, binarized_k: int | None = None, binarized_limit: int | None = None,
) -> dict:
    """All test metrics of one model file (NAME.pt or NAME.model.json) as a JSON-ready dict (nats per example).
    binarized_k: also -log p(x) of the binarized test set (`binarized`, seed 0) with that many importance
    samples, on its first `binarized_limit` images (all by default)."""
    started = time.perf_counter()
    torch.manual_seed(seed)
    model, train_metrics = store.load_model(store.files_for_path(checkpoint))
    test_x, test_y = load_split(data_root, model.info.dataset, train=False)
    train_x, train_y = load_split(data_root, model.info.dataset, train=True)
    if limit:
        test_x, test_y = test_x[:limit], test_y[:limit]
    recon, kl = elbo_terms(model, test_x)
    iw_nll = importance_weighted_nll(model, test_x, iw_samples, progress=progress).mean().item() if model.is_vae else None
    knn = knn_accuracy(encode_all(model, train_x)[0], train_y, encode_all(model, test_x)[0], test_y)
    binary = binarized(test_x)[:binarized_limit]
    binary_nll = (importance_weighted_nll(model, binary, binarized_k, progress=progress).mean().item()
                  if binarized_k and model.is_vae else None)
    path = classifier_path(model.info.dataset)
    judged = prior_verdict(model, load_classifier(path)[0], seed=seed) if path.is_file() else None
    return {
        "checkpoint": str(checkpoint),
        "kind": model.info.kind,
        "dataset": model.info.dataset,
        "latent_dim": model.info.latent_dim,
        "test_neg_elbo": (recon + kl).mean().item() if model.is_vae else None,
        "test_recon": recon.mean().item(),
        "test_kl": kl.mean().item() if model.is_vae else None,
        "iw_nll": iw_nll,
        "iw_samples": iw_samples if model.is_vae else None,
        "binarized_iw_nll": binary_nll,
        "binarized_k": binarized_k if binary_nll is not None else None,
        "binarized_n": len(binary) if binary_nll is not None else None,
        "knn_accuracy": knn,
        "beta": model.info.beta if model.is_vae else None,
        "prior_confident_share": None if judged is None else judged["confident_share"],
        "prior_class_entropy_bits": None if judged is None else judged["class_entropy_bits"],
        "n_test": len(test_x),
        "parameters": n_parameters(model),
        "train_seconds": train_metrics.get("train_seconds"),
        "seconds": round(time.perf_counter() - started, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="latent-explorer evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, type=Path, help="a model file: NAME.pt or NAME.model.json")
    parser.add_argument("--data-root", type=Path, default=data_root(),
                        help="folder holding MNIST/raw or FashionMNIST/raw (default: $MNIST_DATA_ROOT or <repo>/../shared/data)")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    parser.add_argument("--limit", type=int, default=None, help="evaluate on the first N test images")
    parser.add_argument("--iw-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--binarized-k", type=int, default=None,
                        help="also -log p(x) on the binarized test set with K importance samples (5000: Davidson et al. 2018)")
    parser.add_argument("--binarized-limit", type=int, default=None, help="... on its first N images")
    args = parser.parse_args(argv)
    result = evaluate(args.checkpoint, args.data_root, args.limit, args.iw_samples, args.seed, progress=not args.json,
                      binarized_k=args.binarized_k, binarized_limit=args.binarized_limit)
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    run_cli(main)
