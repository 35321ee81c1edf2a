"""Shared Streamlit helpers for the Latent Explorer pages.

Cached loaders, the sidebar model selector, URL (query-parameter) parsing,
image helpers and the Plotly building blocks every page draws on. The model
math lives in `vae_core.explore`; this module only glues it to the UI.
"""
from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from vae_core import explore
from vae_core.checkpoint import CheckpointError, load_checkpoint
from vae_core.latents import LatentCache, cache_path_for, load_latent_cache
from vae_core.model import VAE
from vae_core.preprocess import ImageDecodeError, preprocess

REPO = Path(__file__).resolve().parent
MODELS_DIR = REPO / "models"
DEFAULT_MODEL = "mnist_vae_z2"
VAE_MODEL, AE_MODEL = "mnist_vae_z2", "mnist_ae_z2"
DIGIT_PX = 196  # 28 px shown at 7x, nearest neighbour
DIGIT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")
UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
# CheckpointError and ImageDecodeError are re-exported for the pages: `except ui.ImageDecodeError`.


# ----------------------------------------------------------------- loading
def data_root() -> Path:
    """MNIST root: $MNIST_DATA_ROOT, else <repo>/../shared/data."""
    return Path(os.environ.get("MNIST_DATA_ROOT") or REPO.parent / "shared" / "data")


def list_models() -> list[str]:
    """Names (file stems) of the shipped models, models/*.pt, the default first."""
    names = sorted(p.stem for p in MODELS_DIR.glob("*.pt"))
    return sorted(names, key=lambda n: n != DEFAULT_MODEL)


def _mtime(path: Path) -> int:
    return path.stat().st_mtime_ns if path.exists() else 0


@st.cache_resource(show_spinner="Loading model…", max_entries=8)
def _load_model(path: str, mtime: int) -> tuple[VAE, dict]:
    return load_checkpoint(path)


@st.cache_data(show_spinner="Loading latent cache…", max_entries=8)
def _load_latents(path: str, mtime: int) -> LatentCache:
    return load_latent_cache(path)


@st.cache_resource(show_spinner="Loading the MNIST test set…")
def _load_test_images(root: str) -> np.ndarray | None:
    from vae_core.data import DatasetNotFoundError, load_split

    raw = Path(root) / "MNIST" / "raw"
    if not all((raw / f).exists() for f in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")):
        return None  # never try to download from inside the app
    try:
        images, _ = load_split(root, "mnist", train=False)
    except (DatasetNotFoundError, OSError, RuntimeError, ValueError):
        return None
    return images[:, 0].numpy()


def test_images() -> np.ndarray | None:
    """The 10,000 MNIST test digits (N, 28, 28) in latent-cache order, or None without the dataset."""
    return _load_test_images(str(data_root()))


@dataclass(frozen=True)
class Loaded:
    """A model with its latent cache. mu, sigma: (N, D) test posteriors; labels: (N,)."""

    name: str
    model: VAE
    metrics: dict
    cache: LatentCache

    @property
    def is_vae(self) -> bool:
        return self.model.is_vae

    @property
    def dim(self) -> int:
        return self.model.config.latent_dim

    @property
    def mu(self) -> np.ndarray:
        return self.cache.mu

    @property
    def sigma(self) -> np.ndarray:
        return self.cache.sigma

    @property
    def extent(self) -> explore.Extent:
        return explore.map_extent(self.cache.mu)

    @property
    def kind_label(self) -> str:
        return "VAE" if self.is_vae else "plain autoencoder"


def load(name: str) -> Loaded:
    """Model and latent cache by name; raises CheckpointError (with a clear message) if unusable."""
    path = MODELS_DIR / f"{name}.pt"
    model, metrics = _load_model(str(path), _mtime(path))
    cpath = cache_path_for(path)
    try:
        cache = _load_latents(str(cpath), _mtime(cpath))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"latent cache {cpath.name} for model {name} is missing or unreadable ({exc})") from exc
    if cache.mu.shape[1] != model.config.latent_dim:
        raise CheckpointError(f"latent cache {cpath.name} has {cache.mu.shape[1]} dims, the model {model.config.latent_dim}")
    return Loaded(name, model, metrics, cache)


def load_or_error(name: str) -> Loaded | None:
    """`load`, but shows st.error with the reason and returns None instead of raising."""
    try:
        return load(name)
    except CheckpointError as exc:
        st.error(f"Cannot load model **{name}**: {exc}")
        return None


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
        st.error(f"No models found: expected checkpoints like `{DEFAULT_MODEL}.pt` in {MODELS_DIR}.")
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


# ------------------------------------------------------------------ images
def to_uint8(img: np.ndarray) -> np.ndarray:
    return (np.clip(np.asarray(img, dtype=np.float32), 0, 1) * 255 + 0.5).astype(np.uint8)


def upscale(img: np.ndarray, size: int = DIGIT_PX) -> np.ndarray:
    """(h, w) float in [0, 1] -> uint8 enlarged by the integer factor nearest `size`/h, nearest neighbour."""
    img = to_uint8(img)
    k = max(1, round(size / img.shape[0]))
    return np.repeat(np.repeat(img, k, axis=0), k, axis=1)


def png_bytes(img: np.ndarray, size: int | None = None) -> bytes:
    """(h, w) float image -> PNG bytes, nearest-neighbour upscaled to about `size` px high if given."""
    arr = upscale(img, size) if size else to_uint8(img)
    buf = io.BytesIO()
    Image.fromarray(arr, mode="L").save(buf, format="PNG")
    return buf.getvalue()


def show_digit(img: np.ndarray, caption: str | None = None, size: int = DIGIT_PX) -> None:
    """A 28x28 (or any) float image shown crisp at ~`size` px."""
    arr = upscale(img, size)
    st.image(arr, caption=caption, width=arr.shape[1])


def download_png(img: np.ndarray, filename: str, key: str, label: str = "Download PNG", size: int = 280) -> None:
    st.download_button(label, png_bytes(img, size), file_name=filename, mime="image/png", key=key,
                       icon=":material/download:", on_click="ignore")


def gray_image(img: np.ndarray) -> Image.Image:
    """(h, w) float in [0, 1] -> greyscale PIL image (white ink on black, like MNIST)."""
    return Image.fromarray(to_uint8(img), mode="L")


def ink_rgba(img: np.ndarray, rgb=(20, 20, 40), alpha: float = 1.0) -> Image.Image:
    """Grey image (h, w) in [0, 1] -> RGBA PIL image, ink as dark colour, background transparent."""
    a = to_uint8(np.clip(img, 0, 1) * alpha)
    out = np.empty(a.shape + (4,), np.uint8)
    out[..., :3], out[..., 3] = rgb, a
    return Image.fromarray(out, mode="RGBA")


@dataclass(frozen=True)
class Encoded:
    """An encoded upload: x (28, 28) input, mu and sigma (D,), reconstruction (28, 28) = decode(mu)."""

    x: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    recon: np.ndarray


def encode_digit(model: VAE, source) -> Encoded:
    """Uploaded file / bytes / PIL image -> Encoded. Raises ImageDecodeError with a human message."""
    x = preprocess(source)
    mu, sigma = explore.encode(model, x)
    return Encoded(x, mu[0], sigma[0], explore.decode(model, mu)[0])


@st.cache_data(show_spinner="Encoding…", max_entries=32)
def _encode_cached(name: str, stamp: int, data: bytes) -> Encoded:
    return encode_digit(load(name).model, data)


def encode_bytes(m: Loaded, data: bytes) -> Encoded:
    """`encode_digit` for the bytes of an upload or drawing, cached per model and content."""
    return _encode_cached(m.name, _mtime(MODELS_DIR / f"{m.name}.pt"), bytes(data))


def mosaic_strip(images: np.ndarray, nrows: int, ncols: int, pad: int = 2) -> np.ndarray:
    """Digits (nrows * ncols, 28, 28) tiled with thin white gaps: a float image."""
    return explore.mosaic(images, nrows, ncols, pad=pad, fill=1.0)


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


# ------------------------------------------------------------------- plots
def map_figure(extent: explore.Extent, height: int = 560, title: str | None = None) -> go.Figure:
    """Empty latent-plane figure: z1 right, z2 up, equal scale on both axes."""
    x0, x1, y0, y1 = extent
    fig = go.Figure()
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10), title=title,
        xaxis=dict(title="z₁", range=[x0, x1], zeroline=True, constrain="domain"),
        yaxis=dict(title="z₂", range=[y0, y1], zeroline=True, scaleanchor="x", scaleratio=1, constrain="domain"),
        legend=dict(title="digit", itemsizing="constant", orientation="v"),
        dragmode="pan", hovermode="closest", uirevision="keep",
    )
    return fig


def add_means(fig: go.Figure, m: Loaded, size: float = 4, opacity: float = 0.6, selectable: bool = False) -> None:
    """One Scattergl trace per digit of the test means, customdata = (row, sigma_1, sigma_2)."""
    mu, sigma, labels = m.mu, m.sigma, m.cache.labels
    s2 = sigma[:, :2] if sigma.shape[1] > 1 else np.hstack([sigma, sigma])
    for d in range(10):
        rows = np.flatnonzero(labels == d)
        y = mu[rows, 1] if m.dim > 1 else np.zeros(len(rows))
        fig.add_trace(go.Scattergl(
            x=mu[rows, 0], y=y, mode="markers", name=str(d), legendgroup=str(d),
            marker=dict(size=size, color=DIGIT_COLORS[d], opacity=opacity),
            customdata=np.column_stack([rows, s2[rows]]),
            hovertemplate=f"test #%{{customdata[0]}} · digit {d}<br>μ = (%{{x:.2f}}, %{{y:.2f}})"
                          "<br>σ = (%{customdata[1]:.3f}, %{customdata[2]:.3f})<extra></extra>",
            selected=dict(marker=dict(size=13, opacity=1.0)) if selectable else None,
            unselected=dict(marker=dict(opacity=opacity)) if selectable else None,
        ))


def add_click_grid(fig: go.Figure, extent: explore.Extent, n: int = 72) -> None:
    """A fine, invisible grid of click targets so clicking empty space selects a z."""
    x0, x1, y0, y1 = extent
    xx, yy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    fig.add_trace(go.Scattergl(
        x=xx.ravel(), y=yy.ravel(), mode="markers", name="empty space", showlegend=False,
        marker=dict(size=max(4, 560 // n), color="rgba(0,0,0,0.004)"),
        hovertemplate="z = (%{x:.2f}, %{y:.2f})<br>click to decode<extra></extra>",
        selected=dict(marker=dict(color="black", size=11, opacity=1.0)),
        unselected=dict(marker=dict(opacity=0.004)),
    ))


def add_image(fig: go.Figure, image: Image.Image, extent: explore.Extent, opacity: float = 1.0) -> None:
    """Stretch a PIL image over `extent` in data coordinates, under the traces."""
    x0, x1, y0, y1 = extent
    fig.add_layout_image(source=image, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                         sizing="stretch", layer="below", opacity=opacity)


@st.cache_data(show_spinner=False, max_entries=8)
def means_raster(name: str, mu2: np.ndarray, labels: np.ndarray, extent: explore.Extent, width: int = 420) -> Image.Image:
    """The test means drawn as coloured dots into an RGBA image over `extent`: a light stand-in for the scatter."""
    x0, x1, y0, y1 = extent
    height = max(1, round(width * (y1 - y0) / (x1 - x0)))
    img = np.zeros((height, width, 4), np.uint8)
    cols = np.clip(((mu2[:, 0] - x0) / (x1 - x0) * width).astype(int), 0, width - 1)
    rows = np.clip(((y1 - mu2[:, 1]) / (y1 - y0) * height).astype(int), 0, height - 1)
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in DIGIT_COLORS], np.uint8)[labels]
    order = np.random.default_rng(0).permutation(len(mu2))
    for dr, dc in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        r, c = np.clip(rows[order] + dr, 0, height - 1), np.clip(cols[order] + dc, 0, width - 1)
        img[r, c, :3], img[r, c, 3] = rgb[order], 150
    return Image.fromarray(img, mode="RGBA")


def add_means_raster(fig: go.Figure, m: Loaded, extent: explore.Extent, opacity: float = 1.0,
                     legend: bool = False) -> None:
    """The test means as a background image (light to send), optionally with a digit colour legend."""
    mu2 = m.mu[:, :2] if m.dim > 1 else np.column_stack([m.mu[:, 0], np.zeros(len(m.mu))])
    add_image(fig, means_raster(m.name, mu2, m.cache.labels, extent), extent, opacity)
    for d in range(10 if legend else 0):  # legend entries only
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=str(d), hoverinfo="skip",
                                 marker=dict(size=7, color=DIGIT_COLORS[d])))


def add_ellipses(fig: go.Figure, mu, sigma, color: str = "black", name: str = "posterior") -> None:
    """The 1- and 2-sigma outlines of N(mu, diag sigma^2) at true scale."""
    for k, dash in ((1, "solid"), (2, "dash")):
        e = explore.ellipse(mu, sigma, k)
        fig.add_trace(go.Scatter(x=e[:, 0], y=e[:, 1], mode="lines", name=f"{name} {k}σ",
                                 line=dict(color=color, width=2, dash=dash), hoverinfo="skip"))


def add_prior_circles(fig: go.Figure, ks=(1, 2, 3)) -> None:
    """Contours of the prior N(0, I) at 1, 2, 3 sigma."""
    t = np.linspace(0, 2 * np.pi, 120)
    for k in ks:
        fig.add_trace(go.Scatter(x=k * np.cos(t), y=k * np.sin(t), mode="lines", name="prior 1σ, 2σ, 3σ",
                                 legendgroup="prior", showlegend=k == ks[0], hoverinfo="skip",
                                 line=dict(color="#333", width=1.5, dash="dot")))
        fig.add_annotation(x=k * 0.7071, y=k * 0.7071, text=f"{k}σ", showarrow=False,
                           font=dict(size=10, color="#333"), xshift=8, yshift=6)


def add_marker(fig: go.Figure, z, name: str = "z", color: str = "black", symbol: str = "x", size: int = 14) -> None:
    z = np.asarray(z, dtype=float).ravel()
    fig.add_trace(go.Scatter(x=[z[0]], y=[z[1] if len(z) > 1 else 0.0], mode="markers", name=name,
                             marker=dict(symbol=symbol, size=size, color=color, line=dict(width=2, color="white")),
                             hovertemplate=f"{name}<br>z = (%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))


def union_extent(*extents: explore.Extent) -> explore.Extent:
    e = np.array(extents)
    return float(e[:, 0].min()), float(e[:, 1].max()), float(e[:, 2].min()), float(e[:, 3].max())


def parse_map_click(selection) -> tuple[str, object] | None:
    """Selection state of the latent map -> ("index", test row) for a digit's point,
    ("z", (z1, z2)) for a click target in empty space, or None for no point."""
    points = (selection or {}).get("points") or []
    if not points:
        return None
    p = points[0]
    cd = p.get("customdata")
    if isinstance(cd, dict):  # a row of a typed (base64) array arrives as {"0": .., "1": ..}
        cd = cd.get("0", cd.get(0))
    elif isinstance(cd, (list, tuple)):
        cd = cd[0] if cd else None
    if cd is not None:
        return "index", int(round(float(cd)))
    if p.get("x") is not None and p.get("y") is not None:
        return "z", (float(p["x"]), float(p["y"]))
    return None
