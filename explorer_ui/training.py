"""The Train page's server-wide parts: the one training slot, who owns a run, and which models may be deleted."""
from __future__ import annotations

import uuid

import streamlit as st

from vae_core.storage import store
from vae_core.storage.settings import ServingLimits, data_root, models_dir, serving_limits
from vae_core.training.jobs import TrainingJobs

from .loading import list_models

SHIPPED_MODELS = store.SHIPPED_MODELS


@st.cache_resource(show_spinner=False)
def _jobs(models: str, data: str, limits: ServingLimits) -> TrainingJobs:
    return TrainingJobs(models, data, limits)


def training_jobs() -> TrainingJobs:
    """The server's one training slot (shared by every session), for the current folders and limits."""
    return _jobs(str(models_dir()), str(data_root()), serving_limits())


def session_token() -> str:
    """This session's token: the run it starts is its own (only it can cancel the run)."""
    if "_train_owner" not in st.session_state:
        st.session_state["_train_owner"] = uuid.uuid4().hex
    return st.session_state["_train_owner"]


def deletable_models() -> list[str]:
    """Models the Train page wrote (named by store.trained_name): not the shipped ones, not imported ones."""
    return [name for name in list_models() if store.trained_here(name)]


def delete_model(name: str) -> None:
    """Delete a model that did not come with the app, with its latent caches; refuses a shipped one."""
    if name not in deletable_models():
        raise ValueError(f"{name} is not a model trained here; it is not deleted")  # shipped or imported
    try:
        store.delete(store.model_files(name))
    except OSError as exc:  # read-only folder, permissions: a sentence, never the server's path
        raise ValueError(f"{name} could not be deleted: the models folder on this server refused it "
                         f"({exc.strerror or type(exc).__name__})") from exc
