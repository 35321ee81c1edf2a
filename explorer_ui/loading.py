"""Model, latent-cache and dataset loading (Streamlit-cached), the `Loaded` bundle and upload encoding.

Where the models and the dataset live is vae_core.storage.settings' business.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import streamlit as st

from vae_core.analysis import explore
from vae_core.analysis.projection import Projection, projection_for
from vae_core.analysis.tradeoff import Recipe
from vae_core.models.latent_model import LatentModel, ModelInfo
from vae_core.storage import store
from vae_core.storage.checkpoint import CheckpointError, file_sha256, remove_leftovers
from vae_core.storage.latents import LatentCache
from vae_core.storage.map_files import read_facts
from vae_core.storage.memory import BytesBoundedCache
from vae_core.storage.settings import data_root, models_dir, serving_limits

from .text import plain

DEFAULT_MODEL, VAE_MODEL, AE_MODEL = store.DEFAULT_MODEL, store.VAE_MODEL, store.AE_MODEL

def list_models() -> list[str]:
    """Names of the models in the models folder (native and imported), the default first; read again
    whenever the folder changes (a file added, removed or renamed changes its modification time)."""
    folder = models_dir()
    return list(_list_models(str(folder), file_stamp(folder)))


# ttl: a folder's time stamp moves in clock ticks (coarser on network volumes), so two renames in one tick
# could leave the list stale until the next change; it is read again after a few seconds in any case.
@st.cache_data(show_spinner=False, max_entries=4, ttl=5)
def _list_models(folder: str, stamp: int) -> tuple[str, ...]:
    return tuple(store.list_models(Path(folder)))


def describe_model(name: str) -> str:
    """The selector's label for model `name` (vae_core.storage.store.describe_name)."""
    return store.describe_name(name)


@st.cache_resource(show_spinner=False)
def _tidied(folder: str) -> tuple[str, ...]:
    return tuple(p.name for p in remove_leftovers(Path(folder))) if Path(folder).is_dir() else ()


def tidy_models_folder() -> None:
    """Once per server process (its start-up, in effect): remove what killed saves left in the models folder."""
    _tidied(str(models_dir()))


def file_stamp(path: Path) -> int:
    """Modification time of `path` in ns, 0 if it does not exist: a cache key that changes with the file."""
    return path.stat().st_mtime_ns if path.exists() else 0


# The loaders return a refusal instead of raising it: Streamlit caches only results, and a bad
# file must be refused once per file stamp, cheaply, not re-read on every view.
# (Only the message is kept: a cached exception object would carry every rerun's frames in its traceback.)
@st.cache_resource(show_spinner=False)
def _models_in_memory(budget_mb: float) -> BytesBoundedCache:
    """The server's loaded models, bounded by their files' bytes (LATENT_EXPLORER_MODEL_MEMORY_MB)."""
    return BytesBoundedCache(int(budget_mb * 2**20))


def _loaded_models() -> BytesBoundedCache:
    return _models_in_memory(serving_limits().model_memory_mb)


def _load_model(folder: str, name: str, stamp: int) -> tuple[LatentModel, dict] | str:
    """The model and its metrics from memory, else read once however many sessions ask at the same time
    (a weight file's size is about what its tensors take; a refusal counts as almost nothing)."""
    key = (folder, name, stamp)
    memory = _loaded_models()
    with memory.loading(key):
        loaded = memory.get(key)
        if loaded is None:
            files = store.model_files(name, Path(folder))
            try:
                loaded = store.load_model(files)
                nbytes = sum(p.stat().st_size for p in files.weights if p.exists())
            except CheckpointError as exc:
                loaded, nbytes = str(exc), 0
            except FileNotFoundError:  # deleted while it was being read
                loaded, nbytes = f"model {name} was deleted while it was being read", 0
            memory.put(key, loaded, nbytes)
    return loaded


@st.cache_data(show_spinner="Loading latent cache…", max_entries=16)
def _load_cache(folder: str, name: str, stamp: int, cache_stamp: int, train: bool, latent_dim: int) -> LatentCache | str:
    files = store.model_files(name, Path(folder))
    try:
        return store.load_cache(files, latent_dim, _main_sha256(folder, name, stamp), train)
    except CheckpointError as exc:
        return str(exc)


@st.cache_data(show_spinner=False, max_entries=32)
def _facts(folder: str, name: str, stamp: int, facts_stamp: int) -> tuple[ModelInfo, dict] | None:
    """(info, metrics) from NAME.facts.json while it records this model file (read without torch), else None."""
    return read_facts(store.model_files(name, Path(folder)).facts, _main_sha256(folder, name, stamp))


@st.cache_data(show_spinner=False, max_entries=32)
def _main_sha256(folder: str, name: str, stamp: int) -> str:
    """The hash both caches must record: computed once per model stamp, not once per cache."""
    return file_sha256(store.model_files(name, Path(folder)).main)


@st.cache_resource(show_spinner="Loading the dataset…", max_entries=4)
def _load_images(root: str, dataset: str, train: bool) -> np.ndarray | None:
    from vae_core.data.datasets import DatasetNotFoundError, read_images

    try:  # never download without being asked (see explorer_ui.dataset)
        return read_images(root, dataset, train)
    except (DatasetNotFoundError, OSError, ValueError, EOFError):
        return None


def has_dataset(dataset: str = "mnist", split: str = "test") -> bool:
    """Whether the images of that split of `dataset` are in the data folder (cheap: looks for the file)."""
    from vae_core.data.datasets import has_split

    return has_split(data_root(), dataset, train=split == "train")


def dataset_images(dataset: str = "mnist", split: str = "test") -> np.ndarray | None:
    """The images of a split (N, 28, 28) uint8 in latent-cache order, or None without the dataset."""
    return _load_images(str(data_root()), dataset, split == "train")


def forget_dataset_images() -> None:
    """Drop the cached "no dataset" answers, e.g. after a download."""
    _load_images.clear()


@dataclass(frozen=True)
class Loaded:
    """A model (any vae_core.models.latent_model.LatentModel) with its latent cache.
    mu, sigma: (N, D) test posteriors; labels: (N,).

    The model itself is read when first used: what the home map's first view needs (info, metrics,
    the cache) comes without torch while the model's stored facts are current (vae_core.storage.map_files)."""

    name: str
    info: ModelInfo
    metrics: dict
    cache: LatentCache
    files: store.ModelFiles
    stamp: int  # the model files' stamp when loaded: a cache key that changes with the files

    @cached_property
    def model(self) -> LatentModel:
        return _model_and_metrics(str(self.files.folder), self.name, self.stamp)[0]

    @property
    def is_vae(self) -> bool:
        return self.info.is_vae

    @property
    def dim(self) -> int:
        return self.info.latent_dim

    @property
    def beta(self) -> float | None:
        """The KL weight it was trained with; None when its file never said (an imported model)."""
        return self.info.beta

    @property
    def is_native(self) -> bool:
        return self.info.source == "native"

    @property
    def mu(self) -> np.ndarray:
        return self.cache.mu

    @property
    def sigma(self) -> np.ndarray:
        return self.cache.sigma

    @cached_property
    def projection(self) -> Projection:
        """The plane the 2-D views draw: z itself, or the test means' first two principal components."""
        return projection_for(self.cache.mu)

    @cached_property
    def plane(self) -> np.ndarray:
        """The test means in the plane's coordinates: (N, 2)."""
        return self.projection.to_plane(self.cache.mu)

    @property
    def extent(self) -> explore.Extent:
        return explore.map_extent(self.plane)

    @property
    def kind_label(self) -> str:
        return "VAE" if self.is_vae else "plain autoencoder"

    @property
    def dataset(self) -> str:
        return self.info.dataset

    @property
    def recipe(self) -> Recipe | None:
        """How a native model was trained, beta aside (what a beta comparison must hold fixed); None if imported."""
        return Recipe.of(self.model.config, self.metrics) if self.is_native else None

    @property
    def history(self) -> list[dict]:
        """Per-epoch training record (dicts with epoch, recon, kl and, when measured, test_recon, test_kl)."""
        history = self.metrics.get("history")
        return [e for e in history if isinstance(e, dict)] if isinstance(history, list) else []


def _model_and_metrics(folder: str, name: str, stamp: int) -> tuple[LatentModel, dict]:
    """The model of these files and its metrics, from the server's memory (read first if need be);
    raises CheckpointError."""
    with st.spinner("Loading model…") if _loaded_models().get((folder, name, stamp)) is None else contextlib.nullcontext():
        loaded = _load_model(folder, name, stamp)
    if isinstance(loaded, str):
        raise CheckpointError(loaded)
    return loaded


def load(name: str) -> Loaded:
    """Model and latent cache by name; raises CheckpointError (with a clear message) if unusable."""
    files = store.model_files(name)
    if not files.inside_folder():
        raise CheckpointError(f"model {name} links to a file outside the models folder; it is not read")
    stamp, folder = files.stamp(), str(files.folder)
    facts = _facts(folder, name, stamp, file_stamp(files.facts))
    if facts is None:  # no current facts: the model itself says what it is (read and checked now)
        model, metrics = _model_and_metrics(folder, name, stamp)
        facts = model.info, metrics
    info, metrics = facts
    cache = _load_cache(folder, name, stamp, file_stamp(files.cache()), False, info.latent_dim)
    if isinstance(cache, str):
        raise CheckpointError(cache)
    return Loaded(name, info, metrics, cache, files, stamp)


def train_latents(m: Loaded) -> LatentCache | None:
    """The training-set posteriors shipped beside the model (NAME.train_latents.npz), or None if absent or unusable."""
    cache = _load_cache(str(m.files.folder), m.name, m.stamp, file_stamp(m.files.cache(train=True)), True, m.dim)
    return cache if isinstance(cache, LatentCache) else None


def try_load(name: str) -> Loaded | None:
    """`load`, or None for a model that cannot be used: for lists of other models, where one bad
    file must not show an error on a page about another model."""
    try:
        return load(name)
    except CheckpointError:
        return None


def load_or_error(name: str) -> Loaded | None:
    """`load`, but shows st.error with the reason and returns None instead of raising."""
    try:
        return load(name)
    except CheckpointError as exc:
        st.error(f"Cannot load model **{plain(name)}**: {plain(str(exc))}")
        return None
