"""A tiny Streamlit page around latent_explorer, for tests/test_browser_decode.py
and bench/browser_decode.py:

    streamlit run tests/harness_component.py      # then open /?checkpoint=models/mnist_ae_z2.pt

It writes the returned event as JSON in an element with id "lex-event" and
counts script runs in "lex-runs", so a browser test can read both.
"""
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from latent_component import latent_explorer  # noqa: E402
from vae_core.checkpoint import load_checkpoint  # noqa: E402
from vae_core.export import export_decoder  # noqa: E402
from vae_core.latents import cache_path_for, load_latent_cache  # noqa: E402

DEFAULT = os.environ.get("LEX_CHECKPOINT", str(ROOT / "models" / "mnist_vae_z2.pt"))


@st.cache_resource
def _load(path: str, mtime: float):
    model, _ = load_checkpoint(path)
    return export_decoder(model), load_latent_cache(cache_path_for(path))


st.set_page_config(page_title="latent explorer harness", layout="wide")
first = st.query_params.get("checkpoint", DEFAULT)  # test harness only: any local path
others = [str(p) for p in sorted((ROOT / "models").glob("*.pt")) if str(p) != first and cache_path_for(p).is_file()]
CHECKPOINT = Path(st.selectbox("Model", [first, *others], format_func=lambda s: Path(s).stem))
export, cache = _load(str(CHECKPOINT), CHECKPOINT.stat().st_mtime)
st.session_state.runs = st.session_state.get("runs", 0) + 1
if st.button("Set z from Python"):
    st.session_state.z = [1.0] + [-1.0] * (export.latent_dim - 1)

event = latent_explorer(CHECKPOINT.stem, export, cache.mu, cache.labels, z=st.session_state.get("z"), key="explorer")
st.html(f'<pre id="lex-event">{json.dumps(event)}</pre><pre id="lex-runs">{st.session_state.runs}</pre>')
