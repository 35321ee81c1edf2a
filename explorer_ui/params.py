"""URL (query-parameter) parsing and writing, the sidebar model selector and session-state helpers.

Also holds `_use_app_navigation`, the workaround that keeps app.py's st.navigation the one router.
"""
from __future__ import annotations

import math

import numpy as np
import streamlit as st

from .loading import AE_MODEL, DEFAULT_MODEL, VAE_MODEL, Loaded, list_models, load_or_error, models_dir


# ------------------------------------------------------------- URL params
def _bad_param(key: str, value: str, why: str, fallback) -> None:
    st.warning(f"Ignoring the link parameter `{key}={value[:60]}`: {why}. Using {fallback} instead.", icon="⚠️")


def param_choice(key: str, choices: list[str], default: str) -> str:
    """st.query_params[key] if it is one of `choices`, else `default` (warning if present but invalid)."""
    value = st.query_params.get(key)
    if value is None or value in choices:
        return default if value is None else value
    _bad_param(key, value, f"expected one of {', '.join(choices)}", f"`{default}`")
    return default


def param_number(key: str, lo: float, hi: float, default, integer: bool = False):
    """A number from st.query_params[key] clamped to [lo, hi]; nonsense warns and gives `default`."""
    value = st.query_params.get(key)
    if value is None:
        return default
    try:
        number = float(value)
        if not math.isfinite(number) or (integer and number != int(number)):
            raise ValueError
    except ValueError:
        _bad_param(key, value, "not a valid " + ("whole number" if integer else "number"), f"`{default}`")
        return default
    if not lo <= number <= hi:
        number = min(max(number, lo), hi)
        _bad_param(key, value, f"outside [{lo:g}, {hi:g}]", f"`{number:g}`")
    return int(number) if integer else number


def param_z(dim: int, ranges: np.ndarray) -> np.ndarray | None:
    """z from st.query_params["z"] ("0.5,-1.2"), clamped into `ranges` (D, 2); None if absent or nonsense."""
    value = st.query_params.get("z")
    if value is None:
        return None
    try:
        z = np.array([float(v) for v in value.split(",")], dtype=np.float64)
        if len(z) != dim or not np.isfinite(z).all():
            raise ValueError
    except ValueError:
        _bad_param("z", value, f"expected {dim} comma-separated numbers", "the default")
        return None
    return np.clip(z, ranges[:, 0], ranges[:, 1])


def format_z(z) -> str:
    return ",".join(f"{float(v):.3f}".rstrip("0").rstrip(".") or "0" for v in np.asarray(z).ravel())


def set_params(**values) -> None:
    """Write values into the URL (only those that changed); None removes a key."""
    for key, value in values.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


# ----------------------------------------------------------------- sidebar
def _pretty(name: str) -> str:
    return {VAE_MODEL: "VAE, 2-D latent (default)", AE_MODEL: "Plain autoencoder, 2-D latent"}.get(name, name)


def _on_model_change() -> None:
    st.session_state["_model"] = st.session_state["model_select"]
    st.query_params["model"] = st.session_state["model_select"]


def _use_app_navigation() -> None:
    """Make app.py's st.navigation the one router, whatever URL the server sees first.

    With a pages/ folder, Streamlit starts in its legacy pages-directory mode and
    runs a page file on its own (no app.py: wrong titles, no wide layout) when the
    first request after start is for that page. App.py's st.navigation switches
    the mode off for good; if a page runs first, do the same and rerun once.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - a future Streamlit without it
        return
    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False
        st.rerun()


def sidebar_model() -> Loaded:
    """Model selector shared by all pages (st.query_params["model"], remembered across pages).

    Warns about a nonsense `model` parameter and falls back to the default;
    shows st.error and stops the page if the chosen checkpoint is unusable.
    """
    _use_app_navigation()
    names = list_models()
    if not names:
        st.error(f"No models found: expected checkpoints like `{DEFAULT_MODEL}.pt` in {models_dir()}.")
        st.stop()
    remembered = st.session_state.get("_model")
    default = remembered if remembered in names else (DEFAULT_MODEL if DEFAULT_MODEL in names else names[0])
    name = param_choice("model", names, default)
    st.session_state["_model"] = st.session_state["model_select"] = name
    st.sidebar.selectbox("Model", names, key="model_select", format_func=_pretty, on_change=_on_model_change,
                         help="Checkpoints in models/. Every page uses this model (the prior page always compares both).")
    set_params(model=name)
    loaded = load_or_error(name)
    if loaded is None:
        st.stop()
    _model_card(loaded)
    return loaded


def _model_card(m: Loaded) -> None:
    cfg = m.model.config
    lines = [f"**{m.kind_label}** · latent dim {cfg.latent_dim}" + (f" · β = {cfg.beta:g}" if m.is_vae else "")]
    hist = m.metrics.get("history") or []
    if hist and "recon" in hist[-1]:
        last = hist[-1]
        kl = f" + KL {last['kl']:.1f}" if m.is_vae and "kl" in last else ""
        lines.append(f"train loss {last.get('loss', float('nan')):.1f} nats/digit = recon {last['recon']:.1f}{kl}")
    if m.metrics.get("epochs"):
        lines.append(f"{m.metrics['epochs']} epochs on {cfg.dataset.upper()}")
    st.sidebar.caption("  \n".join(lines))


# ------------------------------------------------------------ session state
def forget_on_model_change(page: str, m: Loaded, keys: list[str], params: list[str]) -> None:
    """After the user switches model on `page`, drop widget values and link parameters that only
    made sense for the previous model, so the new one starts from its own defaults."""
    marker = f"_{page}_model"
    previous = st.session_state.get(marker)
    st.session_state[marker] = m.name
    if previous is not None and previous != m.name:
        for key in keys:
            st.session_state.pop(key, None)
        set_params(**dict.fromkeys(params))


def init_state(key: str, value) -> None:
    """Give a widget its first value (e.g. from the link) without fighting later user changes."""
    if key not in st.session_state:
        st.session_state[key] = value
