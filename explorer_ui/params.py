"""Link (query-parameter) reading and writing, the sidebar model selector and session-state helpers."""
from __future__ import annotations

import numpy as np
import streamlit as st

from vae_core.data.datasets import DISPLAY_NAME
from vae_core.storage.settings import models_dir
from vae_core.storage.store import SHIPPED_MODELS

from .link import Parsed, parse_choice, parse_number, parse_region, parse_z
from .loading import DEFAULT_MODEL, Loaded, describe_model, list_models, load_or_error
from .navigation import ensure_app_navigation
from .text import plain, plural


# ------------------------------------------------------------- URL params
def _from_link(key: str, parsed: Parsed):
    """The parsed value; a warning (plain text) when the link's value was not usable as given."""
    if parsed.why is not None:
        shown = plain(f"{key}={st.query_params.get(key, '')[:60]}")
        st.warning(f"Ignoring the link parameter {shown}: {plain(parsed.why)}. Using {plain(parsed.used)} instead.",
                   icon="⚠️")
    return parsed.value


def param_choice(key: str, choices: list[str], default: str) -> str:
    """st.query_params[key] if it is one of `choices`, else `default` (warning if present but invalid)."""
    return _from_link(key, parse_choice(st.query_params.get(key), choices, default))


def param_number(key: str, lo: float, hi: float, default, integer: bool = False):
    """A number from st.query_params[key] clamped to [lo, hi]; nonsense warns and gives `default`."""
    return _from_link(key, parse_number(st.query_params.get(key), lo, hi, default, integer))


def param_z(dim: int, ranges: np.ndarray) -> np.ndarray | None:
    """z from st.query_params["z"] ("0.5,-1.2"), clamped into `ranges` (D, 2); None if absent or nonsense."""
    return _from_link("z", parse_z(st.query_params.get("z"), dim, ranges))


def param_region() -> str | None:
    """The map's region from st.query_params["region"] as the map wrote it; None if absent or nonsense (warns)."""
    return _from_link("region", parse_region(st.query_params.get("region")))


def set_params(**values) -> None:
    """Write values into the URL (only those that changed); None removes a key."""
    for key, value in values.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


# ----------------------------------------------------------------- sidebar
def _on_model_change() -> None:
    st.session_state["_model"] = st.session_state["model_select"]
    st.query_params["model"] = st.session_state["model_select"]


def sidebar_model() -> Loaded:
    """Model selector shared by all pages (st.query_params["model"], remembered across pages).

    Warns about a nonsense `model` parameter and falls back to the default;
    shows st.error and stops the page if the chosen checkpoint is unusable.
    """
    ensure_app_navigation()
    names = list_models()
    if not names:
        st.error(f"No models found: expected checkpoints like {DEFAULT_MODEL}.pt in {plain(str(models_dir()))}.")
        st.stop()
    remembered = st.session_state.get("_model")
    if remembered is not None and remembered not in names:  # deleted, e.g. in another tab, while this one showed it
        st.warning(plain(f"The model {remembered} that this tab showed is gone (deleted or moved out of the models "
                         "folder); showing the default model instead."), icon=":material/delete:")
        remembered = None
    default = remembered if remembered in names else (DEFAULT_MODEL if DEFAULT_MODEL in names else names[0])
    name = param_choice("model", names, default)
    st.session_state["_model"] = st.session_state["model_select"] = name
    listed = _listed(names, name)
    st.sidebar.selectbox("Model", listed, key="model_select", format_func=describe_model, on_change=_on_model_change,
                         help="Checkpoints in models/. Every page uses this model "
                              "(the prior page compares it with the other kind).")
    if len(listed) < len(names):
        st.sidebar.caption(f"{len(names) - len(listed):,} more models in this server's folder are not listed here; "
                           "open one with its link (?model=NAME).")
    if st.query_params.get("model") in (None, *names):
        set_params(model=name)  # a nonsense value stays, and keeps its warning on every run, like the others
    loaded = load_or_error(name)
    if loaded is None:
        st.stop()
    _model_card(loaded)
    return loaded


MAX_IN_SELECTOR = 100  # a selector of 10,000 names would be slow to send and useless to scroll


def _listed(names: list[str], chosen: str) -> list[str]:
    """The selector's names: the shipped models first, then the others up to MAX_IN_SELECTOR, and the chosen one."""
    shipped = [n for n in names if n in SHIPPED_MODELS]
    listed = shipped + [n for n in names if n not in SHIPPED_MODELS][: max(0, MAX_IN_SELECTOR - len(shipped))]
    return listed if chosen in listed else [*listed, chosen]


def _model_card(m: Loaded) -> None:
    """Kind, size and the last epoch's numbers; a value missing or malformed in the file is left out."""
    info = m.info
    beta = ("" if not m.is_vae else " · β unknown" if m.beta is None else f" · β = {m.beta:g}")
    lines = [f"**{m.kind_label}** · latent dim {info.latent_dim}{beta}"]
    if not m.is_native:
        lines.append("imported (ONNX)")
    last = m.history[-1] if m.history else {}
    number = lambda key: last.get(key) if isinstance(last.get(key), int | float) else None  # noqa: E731
    if number("recon") is not None:
        weight = "" if m.beta in (None, 1) else f"{m.beta:g}·"  # the objective is recon + β·KL
        kl = f" + {weight}KL {number('kl'):.1f}" if m.is_vae and number("kl") is not None else ""
        loss = f"train loss {number('loss'):.1f} nats = " if number("loss") is not None else "train "
        lines.append(f"{loss}recon {number('recon'):.1f}{kl}")
    epochs = m.metrics.get("epochs")
    if isinstance(epochs, int):
        lines.append(f"{plural(epochs, 'epoch')} on {DISPLAY_NAME.get(info.dataset, info.dataset)}")
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


def seed_button(key: str, label: str) -> int:
    """A random seed: from the link (seed=...) at first, kept in session state under `key`, and new
    whenever the button is pressed. Written back into the link; returned."""
    init_state(key, param_number("seed", 0, 2**31 - 1, 0, integer=True))
    if st.button(label, icon=":material/casino:", key=f"{key}_new"):
        st.session_state[key] = int(np.random.default_rng().integers(2**31 - 1))
    set_params(seed=st.session_state[key])
    return st.session_state[key]


def init_state(key: str, value) -> None:
    """Give a widget its first value (e.g. from the link) without fighting later user changes."""
    if key not in st.session_state:
        st.session_state[key] = value
