"""The UMAP layout a model above 2-D keeps in its test latent cache: the shipped one is what umap_layout computes
(one seed, one thread), it keeps neighbourhoods, and a cache refuses a malformed one."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vae_core.storage import store
from vae_core.storage.latents import load_latent_cache, save_latent_cache

Z16 = "mnist_vae_z16"


def neighbours(points: np.ndarray, k: int, rows: np.ndarray) -> list[set[int]]:
    distances = ((points[rows, None, :].astype(np.float64) - points[None].astype(np.float64)) ** 2).sum(axis=2)
    distances[np.arange(len(rows)), rows] = np.inf
    return [set(np.argsort(d, kind="stable")[:k].tolist()) for d in distances]


def test_the_shipped_layout_keeps_each_digits_neighbours_better_than_the_principal_plane():
    from vae_core.analysis.projection import projection_for

    cache = load_latent_cache(store.model_files(Z16).cache(False))
    assert cache.umap.shape == (len(cache.mu), 2)
    assert load_latent_cache(store.model_files(store.DEFAULT_MODEL).cache(False)).umap is None  # 2-D: the map is z
    rows = np.random.default_rng(0).choice(len(cache.mu), 300, replace=False)
    true = neighbours(cache.mu, 15, rows)
    kept = lambda layout: np.mean([len(a & b) / 15 for a, b in zip(true, neighbours(layout, 15, rows), strict=True)])  # noqa: E731
    umap_share, plane_share = kept(cache.umap), kept(projection_for(cache.mu).to_plane(cache.mu))
    assert umap_share > 0.15 and umap_share > 4 * plane_share, (umap_share, plane_share)  # 0.23 and 0.03 here


def test_a_cache_refuses_a_malformed_layout(tmp_path):
    cache = load_latent_cache(store.model_files(Z16).cache(False))
    path = tmp_path / "m.latents.npz"
    for layout in (cache.umap[:, :1], cache.umap[:-1], np.full_like(cache.umap, np.inf)):
        save_latent_cache(path, dataclasses.replace(cache, umap=layout))
        with pytest.raises(ValueError, match="malformed umap"):
            load_latent_cache(path)


@pytest.mark.slow
def test_the_shipped_layout_is_what_umap_layout_computes():
    from vae_core.analysis.umap_layout import umap_layout

    cache = load_latent_cache(store.model_files(Z16).cache(False))
    np.testing.assert_allclose(umap_layout(cache.mu), cache.umap, atol=1e-4)
