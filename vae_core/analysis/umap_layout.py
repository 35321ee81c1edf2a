"""A UMAP layout (McInnes et al. 2018) of the test posterior means of a model above 2-D: a second map beside the
principal plane that keeps neighbourhoods rather than distances. Measured once when the model is saved or
imported (about 10-50 s on 2 cores, most of it numba compiling) and kept in its test latent cache.

UMAP has no inverse: a point of the layout is not a z, so the map decodes the nearest test mean there.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from vae_core.storage.latents import LatentCache

NEIGHBOURS, MIN_DIST, SEED = 15, 0.1, 0  # umap-learn's defaults, and one seed: the same file gives the same layout


def umap_layout(mu: np.ndarray) -> np.ndarray:
    """mu (N, D) -> (N, 2) float32: the UMAP embedding, deterministic (a fixed seed on one thread)."""
    import umap  # numba compiles on import: only a save or an import pays for it

    reducer = umap.UMAP(n_neighbors=NEIGHBOURS, min_dist=MIN_DIST, random_state=SEED, n_jobs=1)
    return reducer.fit_transform(np.asarray(mu, np.float32)).astype(np.float32)


def with_layout(cache: LatentCache) -> LatentCache:
    """The test cache with its UMAP layout when its means have more than 2 dimensions (else as it was)."""
    return dataclasses.replace(cache, umap=umap_layout(cache.mu)) if cache.mu.shape[1] > 2 else cache
