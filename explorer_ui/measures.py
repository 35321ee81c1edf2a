"""What the pages measure of a model as a whole: the classifier's verdict on prior samples and the test
set's reconstruction and KL. Read from the summary saved beside the model (vae_core.analysis.summary)
when it is there; measured here, once per model file, when it is not (a model saved before summaries).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
import torch

from vae_core.analysis.classifier import Classifier, class_probabilities, classifier_path, load_classifier
from vae_core.analysis.evaluate import prior_verdict as evaluate_prior_verdict
from vae_core.analysis.evaluate import test_terms as evaluate_test_terms
from vae_core.analysis.explore import image_function
from vae_core.analysis.geodesic import shortest_path
from vae_core.analysis.geometry import magnification
from vae_core.analysis.summary import PRIOR_SAMPLES, PRIOR_SEED, read_summary
from vae_core.analysis.tradeoff import Recipe
from vae_core.storage.checkpoint import CheckpointError, file_sha256
from vae_core.storage.settings import models_dir

from .loading import Loaded, _main_sha256, dataset_images, file_stamp, has_dataset, load

__all__ = ["PRIOR_SAMPLES", "classifier", "classify", "decoder_stretch", "geodesic", "group_by_recipe",
           "prior_verdict", "test_terms"]


def _inside_models_dir(path: Path) -> bool:
    """Whether `path`, links followed, stays in the models folder (a link out of it is not followed)."""
    return path.resolve().is_relative_to(models_dir().resolve())


@st.cache_resource(show_spinner="Loading the classifier…", max_entries=4)
def _load_classifier(path: str, stamp: int) -> Classifier | None:
    try:
        return load_classifier(path)[0]
    except CheckpointError:
        return None  # refused once per file stamp; the pages then judge nothing


@st.cache_data(show_spinner=False, max_entries=8)
def _classifier_sha256(path: str, stamp: int) -> str:
    return file_sha256(path)


def classifier(dataset: str) -> Classifier | None:
    """The CNN that names classes of `dataset` (models/classifiers/), or None if absent, unusable or a link
    out of the models folder."""
    path = classifier_path(dataset)
    if not path.is_file() or not _inside_models_dir(path):
        return None
    return _load_classifier(str(path), file_stamp(path))


def classify(dataset: str, images: np.ndarray) -> np.ndarray | None:
    """Class probabilities (N, 10) of images (N, 28, 28) by the dataset's classifier, or None without one."""
    model = classifier(dataset)
    return None if model is None else class_probabilities(model, images)


@st.cache_data(show_spinner=False, max_entries=64)
def _summary(folder: str, name: str, stamp: int, summary_stamp: int) -> dict | None:
    files = load(name).files
    return read_summary(files.summary, _main_sha256(folder, name, stamp)) if files.summary.is_file() else None


def summary(m: Loaded) -> dict | None:
    """The summary saved beside the model, if it records this model file; else None."""
    return _summary(str(m.files.folder), m.name, m.stamp, file_stamp(m.files.summary))


def prior_verdict(name: str, stamp: int) -> dict | None:
    """The classifier's `verdict` on PRIOR_SAMPLES prior samples z ~ N(0, I) (seed PRIOR_SEED, the draw the
    README quotes) decoded by model `name`; None without a classifier."""
    m = load(name)
    if classifier(m.dataset) is None:
        return None
    path = classifier_path(m.dataset)
    saved = (summary(m) or {}).get("prior_verdict")
    if saved is not None and saved["classifier_sha256"] == _classifier_sha256(str(path), file_stamp(path)):
        return saved
    return _measured_prior_verdict(name, stamp, file_stamp(path))


@st.cache_data(show_spinner="Judging prior samples…", max_entries=32)
def _measured_prior_verdict(name: str, stamp: int, classifier_stamp: int) -> dict:
    m = load(name)
    return evaluate_prior_verdict(m.model, classifier(m.dataset), PRIOR_SAMPLES, PRIOR_SEED)


@st.cache_data(show_spinner="Measuring reconstruction and KL on the test set…", max_entries=32)
def _measured_test_terms(name: str, stamp: int) -> tuple[float, float]:
    m = load(name)
    x = torch.from_numpy(dataset_images(m.dataset).astype(np.float32) / 255.0).unsqueeze(1)
    return evaluate_test_terms(m.model, x, seed=0)  # one posterior draw per image, as training records it


def test_terms(m: Loaded) -> tuple[float, float] | None:
    """Mean (reconstruction, KL) of the test set in nats: the last epoch's record if training measured it,
    else the saved summary's, else measured here when the dataset is on the server (one draw per image, as
    training does), else None. All are unbiased estimates of the same expectation over 10,000 images."""
    last = m.history[-1] if m.history else {}
    values = last.get("test_recon"), last.get("test_kl")
    if all(isinstance(v, int | float) and np.isfinite(v) for v in values):
        return values
    saved = (summary(m) or {}).get("test_terms")
    if saved is not None:
        return tuple(saved)
    return _measured_test_terms(m.name, m.stamp) if has_dataset(m.dataset) else None


def group_by_recipe(models: list[Loaded]) -> dict[Recipe, list[Loaded]]:
    """Native models grouped by how they were trained, beta aside, in the order given."""
    groups: dict[Recipe, list[Loaded]] = {}
    for m in models:
        groups.setdefault(m.recipe, []).append(m)
    return groups


@st.cache_data(show_spinner="Measuring the decoder's stretch…", max_entries=16)
def _decoder_stretch(name: str, stamp: int, plane_points: np.ndarray) -> np.ndarray:
    m = load(name)
    return magnification(m.model, m.projection, plane_points)


def decoder_stretch(m: Loaded, plane_points: np.ndarray) -> np.ndarray:
    """(N,) the native decoder's magnification factor at plane points (N, 2) (vae_core.analysis.geometry)."""
    return _decoder_stretch(m.name, m.stamp, np.ascontiguousarray(plane_points, dtype=np.float32))


@st.cache_data(show_spinner="Searching for the shortest path…", max_entries=32)
def _geodesic(name: str, stamp: int, a: int, b: int) -> np.ndarray:
    m = load(name)
    return shortest_path(image_function(m.model), m.mu[a], m.mu[b], m.projection.axes)


def geodesic(m: Loaded, a: int, b: int) -> np.ndarray:
    """(K, D) the shortest path from test mean `a` to `b` under the decoder's pulled-back metric
    (vae_core.analysis.geodesic), searched in the plane through both that is nearest the map's."""
    return _geodesic(m.name, m.stamp, int(a), int(b))
