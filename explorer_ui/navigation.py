"""The app's pages and navigation: app.py runs `navigation()`; every page calls
`ensure_app_navigation()` (through `sidebar_model`)."""
from __future__ import annotations

import threading

import streamlit as st

from latent_component import PRELOAD_JS
from vae_core.storage.settings import REPO

from .loading import tidy_models_folder

# A sidebar of 340 px (Streamlit's default: 300) shows every shipped model's full name in the model selector.
# The icon is a Material Symbol, as the pages' are: an emoji would make Streamlit load its emoji table (0.2 s of a
# fresh server's first page).
PAGE_CONFIG = dict(page_title="Latent Explorer", page_icon=":material/biotech:", layout="wide", initial_sidebar_state=340)
# (page file, title, icon); the first is the home page. A page's address is its file's name without the number
# (/Reconstruction_vs_KL): a fresh server's first request, answered from the pages/ folder, knows the same addresses.
PAGES = [
    ("pages/0_Latent_map.py", "Latent map", ":material/scatter_plot:"),
    ("pages/1_Encode_a_digit.py", "Encode a digit", ":material/draw:"),
    ("pages/7_Inside_the_encoder.py", "Inside the encoder", ":material/account_tree:"),
    ("pages/2_Manifold.py", "Manifold", ":material/grid_on:"),
    ("pages/3_Prior_vs_posterior.py", "Prior vs posterior", ":material/blur_circular:"),
    ("pages/4_Interpolate.py", "Interpolate", ":material/timeline:"),
    ("pages/5_Reconstruction_vs_KL.py", "Reconstruction vs KL", ":material/balance:"),
    ("pages/6_Train.py", "Train a model", ":material/model_training:"),
]
# Addresses pages had before, which old links and bookmarks still use: each leads to its page, with the link's parameters.
OLD_PATHS = {"Trade_off": "Reconstruction vs KL"}
_run = threading.local()  # per script thread: did app.py's navigation start this run?

# The frame's script, on every page:
# - Streamlit pushes a browser-history entry for every change of the link's parameters, so Back would step
#   through every click on the map. A history push that keeps the page (same path) becomes a replace: one
#   entry per page visit, and Back goes to the previous page.
# - On a phone Plotly's toolbar covers chart titles and legends; touch still pans and zooms, a double tap
#   resets. The latent map keeps it: its margin leaves the toolbar room, and its reset button undoes a pinch.
#   (A stylesheet added here, not st.html: that would load Streamlit's HTML element before the map's files.)
# - On the home page it starts fetching the map's JavaScript before the page's script has
#   loaded what the map shows (the map's own stub would start them after that).
_frame_script = st.components.v2.component("one_history_entry_per_page", js=PRELOAD_JS + """
const PHONE_CSS = "@media (max-width: 640px) { .js-plotly-plot:not(.lm-plot) .modebar-container { display: none; } }";
export default function ({ data }) {
  if (data?.home) preloadMap();
  if (!document.getElementById("latent-explorer-frame-css")) {
    const style = Object.assign(document.createElement("style"), { id: "latent-explorer-frame-css", textContent: PHONE_CSS });
    document.head.append(style);
  }
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
    tidy_models_folder()
    chosen = st.navigation([page(title) for _, title, _ in PAGES] + [_redirect(old, title) for old, title in OLD_PATHS.items()])
    with st.sidebar:
        _frame_script(key="one_history_entry_per_page", data={"home": chosen.title == PAGES[0][1]}, height="content")
    return chosen


def _redirect(old_path: str, title: str) -> st.Page:
    """A hidden page at `old_path` that switches to the page `title` at its own address, keeping the link's parameters."""
    def go() -> None:
        st.switch_page(page(title), query_params=st.query_params.to_dict())
    return st.Page(go, title=title, url_path=old_path, visibility="hidden")


def page(title: str) -> st.Page:
    """The app's page of that title (for st.switch_page)."""
    for i, (path, name, icon) in enumerate(PAGES):
        if name == title:
            return st.Page(REPO / path, title=name, icon=icon, default=i == 0)
    raise KeyError(title)


def ensure_app_navigation() -> None:
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
