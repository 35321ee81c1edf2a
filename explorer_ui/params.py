"""URL (query-parameter) parsing and writing, the sidebar model selector and session-state helpers.

Also holds the app's page list and `navigation()`, which app.py runs.
"""
from __future__ import annotations

import threading

import numpy as np
import streamlit as st

from vae_core.settings import REPO, models_dir

from .link import Parsed, parse_choice, parse_number, parse_z
from .loading import AE_MODEL, DEFAULT_MODEL, VAE_MODEL, Loaded, list_models, load_or_error
from .text import plain


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


PAGE_CONFIG = dict(page_title="Latent Explorer", page_icon="🔬", layout="wide")
# (page file, title, icon); the first is the home page.
PAGES = [
    ("pages/0_Latent_map.py", "Latent map", ":material/scatter_plot:"),
    ("pages/1_Encode_a_digit.py", "Encode a digit", ":material/draw:"),
    ("pages/2_Manifold.py", "Manifold", ":material/grid_on:"),
    ("pages/3_Prior_vs_posterior.py", "Prior vs posterior", ":material/blur_circular:"),
    ("pages/4_Interpolate.py", "Interpolate", ":material/timeline:"),
]
_run = threading.local()  # per script thread: did app.py's navigation start this run?

# Streamlit pushes a browser-history entry for every change of the link's
# parameters, so Back would step through every click on the map. This script
# turns a history push that keeps the page (same path) into a replace: one
# entry per page visit, and Back goes to the previous page.
_one_entry_per_page = st.components.v2.component("one_history_entry_per_page", js="""
export default function () {
  if (history.pushState.onePerPage) return;
  const push = history.pushState.bind(history);
  const pushState = (state, title, url) => {
    const next = new URL(url ?? location.href, location.href);
    return next.pathname === location.pathname ? history.replaceState(state, title, url) : push(state, title, url);
  };
  pushState.onePerPage = true;
  history.pushState = pushState;
}""")


def navigation():
    """The app's st.navigation (called by app.py, which then runs the chosen page)."""
    _run.from_app = True
    with st.sidebar:
        _one_entry_per_page(key="one_history_entry_per_page", height="content")
    return st.navigation([st.Page(REPO / path, title=title, icon=icon, default=i == 0)
                          for i, (path, title, icon) in enumerate(PAGES)])


def _ensure_app_navigation() -> None:
    """Make app.py's navigation the one router, whatever URL the server sees first.

    With a pages/ folder next to app.py, a fresh server that is first asked for
    a sub-page runs that page on its own (Streamlit's older pages-folder mode:
    no app.py, so no wide layout and no icons) until some script calls
    st.navigation. A page that finds app.py did not start its run calls the
    app's navigation itself (public API; that ends the older mode for the
    whole server) and reruns, now through app.py.
    """
    if not getattr(_run, "from_app", False):
        navigation()
        st.rerun()  # at once, before the visitor acts: the page then runs under app.py's page ids
    _run.from_app = False


def sidebar_model() -> Loaded:
    """Model selector shared by all pages (st.query_params["model"], remembered across pages).

    Warns about a nonsense `model` parameter and falls back to the default;
    shows st.error and stops the page if the chosen checkpoint is unusable.
    """
    _ensure_app_navigation()
    names = list_models()
    if not names:
        st.error(f"No models found: expected checkpoints like {DEFAULT_MODEL}.pt in {plain(str(models_dir()))}.")
        st.stop()
    remembered = st.session_state.get("_model")
    default = remembered if remembered in names else (DEFAULT_MODEL if DEFAULT_MODEL in names else names[0])
    name = param_choice("model", names, default)
    st.session_state["_model"] = st.session_state["model_select"] = name
    st.sidebar.selectbox("Model", names, key="model_select", format_func=_pretty, on_change=_on_model_change,
                         help="Checkpoints in models/. Every page uses this model "
                              "(the prior page compares it with the other kind).")
    if st.query_params.get("model") in (None, *names):
        set_params(model=name)  # a nonsense value stays, and keeps its warning on every run, like the others
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
