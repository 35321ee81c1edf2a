"""Per-image measures the latent map can colour its points by, measured once when a model is saved or imported
and kept in its test latent cache (vae_core.storage.latents), so switching the colouring costs no server work.

    recon_error (N,)       -log p(x | z = mu) in nats: the reconstruction term of the ELBO at the posterior's mean
    label_confidence (N,)  the dataset's classifier's probability of the true label for decoder(mu): whether the
                           reconstruction still looks like what it was
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from vae_core.analysis.classifier import Classifier, class_probabilities, classifier_path, load_classifier
from vae_core.data.datasets import has_split, load_split
from vae_core.models.latent_model import LatentModel
from vae_core.models.losses import reconstruction_nll
from vae_core.storage.latents import LatentCache


@torch.inference_mode()
def digit_measures(model: LatentModel, images: torch.Tensor, mu: np.ndarray, labels: np.ndarray,
                   classifier: Classifier | None, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray | None]:
    """images (N, 1, 28, 28) in [0, 1], their posterior means mu (N, D) and labels (N,) -> recon_error (N,) and
    label_confidence (N,) (None without a classifier), float32."""
    errors, confidences = [], []
    for start in range(0, len(images), batch_size):
        z = torch.as_tensor(mu[start : start + batch_size], dtype=torch.float32)
        logits = model.decode_logits(z).reshape(len(z), -1)
        errors.append(reconstruction_nll(logits, images[start : start + batch_size]).numpy())
        if classifier is not None:
            probabilities = class_probabilities(classifier, torch.sigmoid(logits))
            confidences.append(probabilities[np.arange(len(z)), labels[start : start + batch_size]])
    recon_error = np.concatenate(errors).astype(np.float32)
    return recon_error, (np.concatenate(confidences).astype(np.float32) if classifier is not None else None)


def with_measures(cache: LatentCache, model: LatentModel, root: str | Path) -> LatentCache:
    """The test cache with its measures, when the test split is in `root` (else as it was)."""
    dataset = model.info.dataset
    if not has_split(root, dataset, train=False):
        return cache
    images, _ = load_split(root, dataset, train=False)
    path = classifier_path(dataset)
    classifier = load_classifier(path)[0] if path.is_file() else None
    recon_error, confidence = digit_measures(model, images, cache.mu, cache.labels, classifier)
    return dataclasses.replace(cache, recon_error=recon_error, label_confidence=confidence)


def with_map_extras(cache: LatentCache, model: LatentModel, root: str | Path) -> LatentCache:
    """The test cache with what the map shows beside the posteriors: the measures, and above 2-D the UMAP layout."""
    from vae_core.analysis.umap_layout import with_layout

    return with_layout(with_measures(cache, model, root))
