"""Inside the encoder: one digit's pass through the network, the weighted sums that give μ and log σ², and the
sampling step z = μ + σ·ε with the gradients that flow through it."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

import explorer_ui as ui
from vae_core.analysis import explore
from vae_core.analysis.inside import first_layer_weights, largest_terms, sampling_step, trace_encoder
from vae_core.data.datasets import ITEM_WORD, LABEL_NAMES, with_article

SHOWN_TERMS = 10  # the largest terms of a sum drawn one by one; the rest as one bar
FIRST_LAYER_UNITS = 8  # the first layer's most active units whose weights are drawn

m = ui.sidebar_model()
item = ITEM_WORD[m.dataset]
st.title("Inside the encoder")
st.caption(
    f"The encoder is a fixed function: the same {item} always gives the same μ and log σ². Each of them is its own "
    "weighted sum of the same last hidden activations, with its own weights and bias. Training learned those "
    "weights; μ and σ are computed from them, input by input. Pick another input and only the activations and "
    "the sums change.")
if not m.is_native:
    st.info("This model was imported as ONNX files: the app runs its encoder but does not read the weights inside "
            "it, so its sums cannot be shown. Pick a model trained with this app's recipe (every shipped model but "
            "the convolutional one).", icon=":material/visibility_off:")
    st.stop()

images = ui.dataset_images(m.dataset, "test")
last = len(m.mu) - 1
ui.init_state("in_idx", ui.param_number("idx", 0, last, 0, integer=True))


def _random_digit() -> None:
    st.session_state["in_idx"] = int(np.random.default_rng().integers(last + 1))


pick, shuffle, upload = st.columns([1, 1, 2], vertical_alignment="bottom")
index = pick.number_input(f"Test {item} #", 0, last, key="in_idx", step=1)
shuffle.button("Random", icon=":material/shuffle:", on_click=_random_digit)
uploaded = upload.file_uploader(f"Or upload {with_article(item)}", type=ui.UPLOAD_TYPES, key="in_upload")
ui.set_params(idx=index)
if uploaded is not None:
    try:
        x, what = ui.encode_bytes(m, uploaded.getvalue()).x, f"your upload ({ui.plain(uploaded.name)})"  # as Encode
    except ui.ImageDecodeError as exc:
        st.error(ui.plain(str(exc)))
        st.stop()
elif images is not None:
    x, what = images[index].astype(np.float32) / 255, f"test {item} #{index} ({LABEL_NAMES[m.dataset][m.cache.labels[index]]})"
else:
    ui.offer_dataset_download(m.dataset, why=f"The test {item}s are not on this server")
    st.info(f"Upload {with_article(item)} above to look inside the encoder without the dataset.")
    st.stop()

trace = trace_encoder(m.model, x)
heads = ["mu", "logvar"] if m.is_vae else ["mu"]


def output_name(head: str, unit: int) -> str:
    return f"μ{unit + 1}" if head == "mu" else f"log σ{unit + 1}²"


def activation_image(values: np.ndarray) -> np.ndarray:
    """(H,) activations as a near-square grid scaled to [0, 1] for a gray image (unused cells stay 0)."""
    cols = int(np.ceil(np.sqrt(len(values) * 2)))
    rows = -(-len(values) // cols)
    grid = np.zeros(rows * cols, np.float32)
    grid[: len(values)] = values / max(float(values.max()), 1e-6)
    return grid.reshape(rows, cols)


st.subheader("The pass through the network")
st.caption(f"Input: {what}. Brighter cells are larger activations; a ReLU unit at 0 is silent for this input.")
columns = st.columns(len(trace.hidden) + 2)
with columns[0]:
    ui.show_digit(x.reshape(28, 28), caption=f"x: {x.size} pixels", size=140)
for k, (column, h) in enumerate(zip(columns[1:], trace.hidden, strict=False), 1):
    with column:
        ui.show_digit(activation_image(h), size=140, caption=f"h{k} = ReLU(W{k}·{'x' if k == 1 else f'h{k - 1}'} + b{k}): "
                      f"{len(h)} units, {int((h > 0).sum())} active")
with columns[-1]:
    st.markdown("**Outputs**")  # short, at the left: a touch screen's table toolbar (right) covers no caption
    st.dataframe({"output": [output_name(h, d) for h in heads for d in range(m.dim)],
                  "value": [float(getattr(trace, h)[d]) for h in heads for d in range(m.dim)]},
                 hide_index=True, column_config={"value": st.column_config.NumberColumn(format="%.4f")},
                 height=min(35 * (len(heads) * m.dim + 1) + 3, 320))


def waterfall(head: str, unit: int) -> go.Figure:
    """The largest terms w_j·h_j one by one, the rest as one bar, the bias, and the total the encoder gave."""
    terms = trace.terms(head, unit)
    top = largest_terms(terms, SHOWN_TERMS)
    rest = float(np.delete(terms, top).sum())
    names = [f"unit {j}: {trace.weights[head][unit][j]:+.3f} × {trace.last[j]:.3f}" for j in top]
    names += [f"the other {len(terms) - len(top)} units", "bias b", output_name(head, unit)]
    values = [float(terms[j]) for j in top] + [rest, float(trace.bias[head][unit]), 0.0]
    fig = go.Figure(go.Waterfall(orientation="h", y=names, x=values, measure=["relative"] * (len(values) - 1) + ["total"],
                                 connector={"line": {"width": 0.5}}, hovertemplate="%{y}: %{x:.4f}<extra></extra>"))
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=10, b=30), yaxis=dict(autorange="reversed"),
                      xaxis_title="running sum", showlegend=False)
    return fig


st.subheader("Each output is its own weighted sum of the same activations")
choices = [(h, d) for h in heads for d in range(m.dim)]
head, unit = st.selectbox("Output", choices, format_func=lambda c: output_name(*c), key="in_output")
total = trace.output(head, unit)
st.plotly_chart(waterfall(head, unit), key="in_waterfall", config={"displayModeBar": False})
st.caption(f"{output_name(head, unit)} = Σⱼ wⱼ·hⱼ + b over the {len(trace.last)} units of the last hidden layer "
           f"= {total - trace.bias[head][unit]:.4f} + {trace.bias[head][unit]:.4f} = {total:.4f}; the encoder returned "
           f"{getattr(trace, head)[unit]:.4f}. Silent units (h = 0) add nothing, whatever their weight.")
if m.dim >= 2:
    w1, w2 = trace.weights["mu"][0], trace.weights["mu"][1]
    fig = go.Figure(go.Scatter(x=w1, y=w2, mode="markers", marker=dict(size=4 + 10 * trace.last / max(trace.last.max(), 1e-6),
                    color=trace.last, colorscale="Viridis", colorbar=dict(title="h")),
                    hovertemplate="unit %{customdata}<br>weight into μ1 %{x:.3f}<br>weight into μ2 %{y:.3f}<extra></extra>",
                    customdata=np.arange(len(w1))))
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="weight into μ1",
                      yaxis_title="weight into μ2")
    st.plotly_chart(fig, key="in_weights", config={"displayModeBar": False})
    st.caption(f"Every dot is a unit of the last hidden layer, sized by its activation for this input. μ1 and μ2 read the "
               f"same {len(w1)} activations through different weights (their correlation is "
               f"{np.corrcoef(w1, w2)[0, 1]:+.2f}), which is why μ1 = {trace.mu[0]:.3f} and μ2 = {trace.mu[1]:.3f} differ.")

st.subheader("What the first layer looks for")
units = largest_terms(trace.hidden[0], FIRST_LAYER_UNITS)
weights = first_layer_weights(m.model, units)
signed = weights / (np.abs(weights).max(axis=(1, 2), keepdims=True) + 1e-12)  # each unit's own scale, in [-1, 1]
red, blue = np.clip(signed, 0, 1), np.clip(-signed, 0, 1)
rgb = np.stack([1 - blue, 1 - red - blue, 1 - red], -1)  # white at 0, red where positive, blue where negative
st.image([ui.upscale(tile, 112) for tile in rgb], caption=[f"#{j} · h {trace.hidden[0][j]:.2f}" for j in units])
st.caption(f"The weights of the {FIRST_LAYER_UNITS} first-layer units most active for this input, as images: red pixels "
           "raise the unit's sum where there is ink, blue ones lower it. They are the same for every input.")

st.subheader("Sampling: z = μ + σ·ε")
if not m.is_vae:
    st.info("A plain autoencoder has no σ and samples nothing: its code is z = μ.")
    st.stop()
eps = np.random.default_rng(ui.seed_button("in_seed", "Draw ε again")).standard_normal(m.dim)
step = sampling_step(trace.mu, trace.logvar, eps)
rows = {"μ": step.mu, "σ = exp(½ log σ²)": step.sigma, "ε ~ N(0, 1)": step.eps, "z = μ + σ·ε": step.z,
        "∂z/∂μ": step.grad_mu, "∂z/∂log σ²": step.grad_logvar}
st.dataframe({"": list(rows), **{f"z{d + 1}": [float(v[d]) for v in rows.values()] for d in range(m.dim)}},
             hide_index=True, column_config={f"z{d + 1}": st.column_config.NumberColumn(format="%.4f") for d in range(m.dim)})
decoded = explore.decode(m.model, np.stack([trace.mu, step.z]))
left, right = st.columns(2)
with left:
    ui.show_digit(decoded[0], caption="decode(μ)", size=140)
with right:
    ui.show_digit(decoded[1], caption="decode(z), this draw", size=140)
st.caption("The gradients are torch's: z moves one for one with μ and by ½σε with log σ², so the reconstruction "
           "error reaches μ, σ and through them the weights. ε is a draw from N(0, I), which has no parameters: "
           "writing the sample this way (the reparameterization trick, Kingma & Welling 2014) is what lets a "
           "gradient pass through a random draw.")
