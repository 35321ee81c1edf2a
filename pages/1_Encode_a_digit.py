"""Encode a digit: upload or draw one, see its posterior q(z|x) and samples from it."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit_drawable_canvas import st_canvas

import explorer_ui as ui
from vae_core import explore

N_SAMPLES = 16
CANVAS_PX = 224  # 8 x 28; a canvas has a fixed size, and this one fits the input column of a 1280-px window

m = ui.sidebar_model()
st.title("Encode a digit")
st.caption("Upload a photo or scan of one handwritten digit, or draw one. It is cropped, scaled and centred "
           "the way MNIST was made, then the encoder maps it to its posterior q(z|x) = N(μ, σ²).")


source_col, result_col = st.columns([1, 2], gap="large")
with source_col:
    mode = st.segmented_control("Input", ["Upload", "Draw"], default="Upload", key="enc_mode",
                                label_visibility="collapsed")
    data = None
    if mode == "Draw":
        st.caption("Draw one digit, large and centred, like on paper.")
        st.space(24)  # room for the canvas toolbar: on hover it pops up ~35 px above the canvas, over whatever is there
        canvas = st_canvas(stroke_width=14, stroke_color="#FFFFFF", background_color="#000000", height=CANVAS_PX,
                           width=CANVAS_PX, drawing_mode="freedraw", key="enc_canvas", return_image_data=True)
        if canvas.json_data and canvas.json_data.get("objects"):
            data = canvas.image_bytes
    else:
        upload = st.file_uploader("An image of one digit", type=ui.UPLOAD_TYPES, key="enc_upload",
                                  help="PNG, JPEG, BMP, GIF or WebP. Dark ink on light paper or the reverse.")
        if upload is not None:
            data = upload.getvalue()

enc = None
if data is not None:  # an empty upload gets its message too
    try:
        enc = ui.encode_bytes(m, data)
    except ui.ImageDecodeError as exc:
        with source_col:
            st.error(f"Could not use this image: {ui.plain(str(exc))}. Try another file or draw a digit.", icon="🚫")

with result_col:
    if enc is None:
        st.info("Upload or draw a digit to see where the encoder puts it.", icon=":material/arrow_back:")
        st.stop()
    cols = st.columns(3)
    with cols[0]:
        with st.container(width=ui.DIGIT_PX):  # at most DIGIT_PX, less in a narrower column
            st.image(enc.preview, caption="your drawing" if mode == "Draw" else "your image", width="stretch")
    with cols[1]:
        ui.show_digit(enc.x, "input x: preprocessed 28×28")
        ui.download_png(enc.x, "input_28x28.png", key="dl_input", label="Input PNG")
    with cols[2]:
        ui.show_digit(enc.recon, "reconstruction decoder(μ)")
        # A short label: at 1280 px this column is about 150 px wide.
        ui.download_png(enc.recon, "reconstruction.png", key="dl_recon", label="Recon. PNG")
    kl = float(explore.kl_per_point(enc.mu[None], enc.sigma[None])[0])
    fmt = lambda v: "(" + ", ".join(f"{x:.3f}" for x in v) + ")"  # noqa: E731
    c1, c2 = st.columns([2, 1])
    c1.markdown(f"**μ** (encoder mean) = {fmt(enc.mu)}  \n**σ** (encoder std) = {fmt(enc.sigma)}")
    c2.metric("KL(q(z|x) ‖ N(0, I))", f"{kl:.2f} nats" if np.isfinite(kl) else "∞ (a point)")
    top, votes = explore.majority_label(m.mu, m.cache.labels, enc.mu)
    st.caption(f"Its 15 nearest test digits on the map are mostly **{top}**s ({votes} of 15).")

st.divider()
map_col, sample_col = st.columns([1, 1], gap="large")
if m.is_vae:
    with sample_col:
        st.subheader("Samples z = μ + σ·ε")
        st.markdown("The encoder is deterministic: it outputs μ and σ, nothing random. The randomness is an "
                    "outside input ε ~ N(0, I), and z = μ + σ·ε is a smooth function of μ and σ, so training "
                    "can send gradients through the sample into the encoder: the **reparameterization trick**.")
        seed = ui.seed_button("enc_seed", "Draw new ε")
        z, eps = explore.sample_posterior(enc.mu, enc.sigma, N_SAMPLES, seed=seed)
        strip = ui.mosaic_strip(explore.decode(m.model, z), 4, N_SAMPLES // 4)
        ui.show_digit(strip, f"decoder(z) for {N_SAMPLES} draws of ε (seed {seed})", size=len(strip) * 3)
        ui.download_png(strip, f"posterior_samples_seed{seed}.png", key="dl_samples", size=len(strip) * 4,
                        label="Samples PNG")
else:
    z = None
    with sample_col:
        st.subheader("No sampling for a plain autoencoder")
        st.info("The plain autoencoder outputs only a point: σ = 0, so q(z|x) has no spread, there is no "
                "ellipse and nothing to sample; z = μ every time. Switch to the VAE in the sidebar to compare.")

with map_col:
    zoom = st.toggle("Zoom to the posterior", value=m.is_vae, key="enc_zoom", disabled=not m.is_vae,
                     help="Shows the ellipses at true scale around μ, with the nearby test means.")
    if zoom and m.is_vae:
        half = max(4 * float(enc.sigma[:2].max()), 0.25)
        extent = (enc.mu[0] - half, enc.mu[0] + half, enc.mu[1] - half, enc.mu[1] + half)
        fig = ui.map_figure(extent, height=480)
        inside = np.all(np.abs(m.mu[:, :2] - enc.mu[:2]) <= half, axis=1)
        ui.add_label_traces(fig, m.mu[inside, 0], m.mu[inside, 1], m.cache.labels[inside],
                            "test digit {label}<extra></extra>", size=6, opacity=0.5)
    else:
        extent = ui.union_extent(m.extent, tuple(np.repeat(enc.mu[:2], 2) + [-0.5, 0.5, -0.5, 0.5]))
        fig = ui.map_figure(extent, height=480)
        ui.add_means_raster(fig, m, extent)
    if m.is_vae:
        ui.add_ellipses(fig, enc.mu, enc.sigma, color="#111", name="q(z|x)")
        fig.add_trace(go.Scatter(x=z[:, 0], y=z[:, 1], mode="markers", name="samples z",
                                 marker=dict(symbol="circle-open", size=9, color="#d62728", line=dict(width=2)),
                                 hovertemplate="z = (%{x:.3f}, %{y:.3f})<extra>sample</extra>"))
    ui.add_marker(fig, enc.mu, "μ", color="#111", symbol="x")
    fig.update_layout(legend=dict(orientation="h", y=-0.15, title=None))
    st.plotly_chart(fig, key="enc_map", config={"displaylogo": False})
    st.caption("Solid: 1σ ellipse, dashed: 2σ, drawn at true scale on equal axes. Red rings: the samples."
               if m.is_vae else "The cross marks μ, the whole of the autoencoder's code for this digit.")
