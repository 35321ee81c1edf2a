"""The Train page's server-wide parts: the one training slot and the models trained here (who may delete them)."""
from __future__ import annotations

import streamlit as st

from vae_core.storage import store
from vae_core.storage.settings import ServingLimits, data_root, models_dir, serving_limits
from vae_core.training.jobs import TrainingJobs

from .access import Visitor, may_delete
from .loading import list_models

SHIPPED_MODELS = store.SHIPPED_MODELS


@st.cache_resource(show_spinner=False)
def _jobs(models: str, data: str, limits: ServingLimits) -> TrainingJobs:
    return TrainingJobs(models, data, limits)


def training_jobs() -> TrainingJobs:
    """The server's one training slot (shared by every session), for the current folders and limits."""
    return _jobs(str(models_dir()), str(data_root()), serving_limits())


def trained_models() -> list[tuple[str, str]]:
    """(name, owner) of the models the app's own training saved here (their record says so), newest name last;
    never a shipped model, an imported one or a file the operator copied in."""
    folder = models_dir()
    records = ((name, store.read_record(store.model_files(name, folder))) for name in list_models())
    return [(name, record["owner"]) for name, record in records if record is not None and name not in SHIPPED_MODELS]


def delete_model(name: str, visitor: Visitor) -> None:
    """Delete a model trained here with its caches, if this visitor may (its owner, or an admin); else ValueError."""
    owners = dict(trained_models())
    if name not in owners:
        raise ValueError(f"{name} is not a model trained here; it is not deleted")  # shipped, imported, copied in
    if not may_delete(visitor, owners[name]):
        raise ValueError(f"{name} was trained by another visitor; only they (or an admin) may delete it")
    try:
        store.delete(store.model_files(name))
    except OSError as exc:  # read-only folder, permissions: a sentence, never the server's path
        raise ValueError(f"{name} could not be deleted: the models folder on this server refused it "
                         f"({exc.strerror or type(exc).__name__})") from exc
