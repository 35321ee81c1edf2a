"""Prior vs posterior: why the KL term lets a VAE generate from z ~ N(0, I) and a plain autoencoder not."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

import explorer_ui as ui
from vae_core.analysis import explore
from vae_core.data.datasets import ITEM_WORD, LABEL_NAMES

selected = ui.sidebar_model()
st.title("Prior vs posterior")
st.markdown(
    "A generative model is used by drawing **z ~ N(0, I)** and decoding it, which only works if the codes of real "
    "digits fill the region the prior covers. The VAE's loss has a KL term that pulls every posterior q(z|x) toward "
    "N(0, I), so its test means (blue) sit inside the prior's circles and prior samples decode into all kinds of "
    "digits. The plain autoencoder has no such term: its codes spread wherever reconstruction likes, the prior "
    "covers only part of them, and its samples are a lopsided mix of digits and smudges. The price is a tug of war: "
    "reconstruction wants each digit's posterior small and apart, the KL wants them wide and overlapping around 0, "
    "so nearby z must decode to an average of several digits, and VAE samples come out blurred."
)
ui.init_state("pp_k", ui.param_number("k", 3, 12, 8, integer=True))
# A row that wraps on a phone; the button keeps its full label (narrow columns cut it short).
with st.container(horizontal=True, vertical_alignment="bottom", width=560):
    seed = ui.seed_button("pp_seed", "New samples")
    k = st.slider("Samples per side", 3, 12, key="pp_k")
ui.set_params(k=k)


def counterpart(m: ui.Loaded) -> ui.Loaded | None:
    """A model of the other kind on the same dataset to compare `m` with (the default first), or None."""
    for other in map(ui.try_load, ui.list_models()):
        if other is not None and other.is_vae != m.is_vae and other.dataset == m.dataset:
            return other
    return None


def heading(m: ui.Loaded, is_selected: bool) -> None:
    """The kind as the title, the selected model's underlined in the accent colour, then its file name."""
    st.subheader("VAE" if m.is_vae else "Plain autoencoder", divider="red" if is_selected else "gray")
    role = "selected in the sidebar" if is_selected else "for comparison"
    st.text(f"{m.name} · {role}")  # a file name: plain text, never Markdown


def metrics(m: ui.Loaded) -> None:
    kl = explore.kl_per_point(m.mu, m.sigma)
    # A wrapping row: side by side where both fit, else stacked, so no label is cut short.
    with st.container(horizontal=True):
        st.metric("Mean KL(q(z|x) ‖ N(0, I))", f"{kl.mean():.2f} nats" if np.isfinite(kl).all() else "∞",
                  help="Averaged over the 10,000 test digits. A point-mass code (σ = 0) has infinite KL.",
                  width="content")
        inside = explore.fraction_within(m.plane - m.projection.to_plane(np.zeros(m.dim)), 3.0)
        st.metric(f"Test {ITEM_WORD[m.dataset]}s inside the 3σ circle", f"{100 * inside:.0f} %",
                  help="Share of test means within radius 3 of the origin; the prior puts 98.9 % of its mass "
                       "there.", width="content")
    mean, std = explore.moments(m.mu)
    st.caption(f"Test means: mean ({', '.join(f'{v:.2f}' for v in mean)}), std "
               f"({', '.join(f'{v:.2f}' for v in std)}) per dim; the prior has mean 0 and std 1.")


def verdict_bars(m: ui.Loaded) -> None:
    """What the classifier says about many prior samples: how many it is sure of, and of which class.
    One fixed draw for every model (the figure the README and the Reconstruction vs KL page quote)."""
    judged = ui.prior_verdict(m.name, m.stamp)
    if judged is None:
        st.caption("No classifier for this dataset in models/classifiers/: the samples are not judged.")
        return
    names = [*LABEL_NAMES[m.dataset], "unsure"]
    share = [*(100 * np.array(judged["class_counts"]) / ui.PRIOR_SAMPLES), 100 * (1 - judged["confident_share"])]
    bars = go.Figure(go.Bar(x=names, y=share, marker_color=[*ui.DIGIT_COLORS, "#bbbbbb"],
                            hovertemplate="%{x}: %{y:.1f} %<extra></extra>"))
    bars.add_hline(y=100 * judged["confident_share"] / 10, line_dash="dot", line_color="#333",
                   annotation_text="even", annotation_position="right")
    # Categories: otherwise Plotly reads "0".."9" as numbers and drops the "unsure" bar.
    bars.update_layout(height=190, margin=dict(l=0, r=40, t=30, b=0), yaxis_title="%", showlegend=False,
                       xaxis=dict(type="category"),
                       title=dict(text=f"A CNN's verdict on {ui.PRIOR_SAMPLES:,} prior samples (one fixed draw)",
                                  font_size=13))
    st.plotly_chart(bars, key=f"pp_bars_{m.name}", config={"displayModeBar": False})
    with st.container(horizontal=True):
        st.metric("Named with p ≥ 0.9", f"{100 * judged['confident_share']:.1f} %", width="content",
                  help=f"Share of {ui.PRIOR_SAMPLES:,} decoded prior samples (a fixed draw, not the ones above) that "
                       "the classifier assigns to one class with probability at least 0.9. Smudges between classes "
                       "get no confident name.")
        st.metric("Spread over classes", f"{judged['class_entropy_bits']:.2f} of 3.32 bits", width="content",
                  help="Entropy of the confident samples' classes: 3.32 bits when all ten are equally common, "
                       "0 when every sample is the same class.")


def panel(m: ui.Loaded | None, is_selected: bool) -> None:
    if m is None:
        return
    name = m.name
    heading(m, is_selected)
    z = explore.prior_samples(k * k, m.dim, seed)
    origin = m.projection.to_plane(np.zeros(m.dim))  # where z = 0 lies on the plane
    extent = ui.union_extent(m.extent, tuple(np.repeat(origin, 2) + [-3.6, 3.6, -3.6, 3.6]))
    xs, ys = explore.density_grid(extent, 140)
    dens = explore.aggregate_density(m.plane, extent, 140, smooth=1.5)
    fig = ui.map_figure(extent, height=430, titles=m.projection.titles)
    fig.add_trace(go.Heatmap(x=xs, y=ys, z=np.sqrt(dens), colorscale="Blues", showscale=False,
                             hoverinfo="skip", name="aggregate posterior"))
    ui.add_prior_circles(fig, center=origin)
    z_xy = m.projection.to_plane(z)
    fig.add_trace(go.Scatter(x=z_xy[:, 0], y=z_xy[:, 1], mode="markers",
                             name="z ~ N(0, I)", marker=dict(symbol="x-thin", size=7, color="#d62728",
                                                             line=dict(width=2, color="#d62728")),
                             hovertemplate="prior sample<br>z = (%{x:.2f}, %{y:.2f})<extra></extra>"))
    fig.update_layout(legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom", title=None),
                      margin=dict(t=ui.MODEBAR_PX + 30))  # the legend under the toolbar's strip
    st.plotly_chart(fig, key=f"pp_fig_{name}", config={"displaylogo": False})
    metrics(m)
    verdict_bars(m)
    decoded = explore.decode(m.model, z)
    tiles = ui.mosaic_strip(decoded, k, k)
    ui.show_mosaic(decoded, k, k, min(k * 28 * 2, 480), f"decoder(z) for the {k * k} red prior samples")
    ui.download_png(tiles, f"{name}_prior_samples_seed{seed}.png", key=f"dl_pp_{name}", size=k * 28 * 3)


# The model chosen in the sidebar comes first, against a model of the other kind on the same dataset.
other = counterpart(selected)
other_kind = "plain autoencoder" if selected.is_vae else "VAE"
if other is None:
    st.info(f"No {other_kind} on {selected.dataset} in the models folder to compare with: showing the selected "
            "model only.")
else:
    st.caption(f"First the {selected.kind_label} selected in the sidebar (red underline), then the "
               f"{other_kind} for comparison, with the same prior samples. Select the other kind to swap them.")
left, right = st.columns(2, gap="large")
with left:
    panel(selected, is_selected=True)
with right:
    panel(other, is_selected=False)
st.caption("Blue: density of the 10,000 test means (the aggregate posterior, a smoothed 2-D histogram). Dotted "
           "circles: the prior's 1σ, 2σ, 3σ contours. Red crosses: the prior samples decoded below. The same "
           "seed draws the same ε for both models.")
