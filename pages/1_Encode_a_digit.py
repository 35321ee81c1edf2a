"""Encode an image: upload or draw a digit (or an item of clothing), see its posterior q(z|x) and samples from it."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit_drawable_canvas import st_canvas

import explorer_ui as ui
from vae_core.analysis import explore
from vae_core.data.datasets import DISPLAY_NAME, ITEM_WORD, LABEL_NAMES, THING, with_article

N_SAMPLES = 16
NEIGHBOURS = 15  # the test means nearest mu that vote on what it is
CLEAR_MAJORITY = 10  # of the NEIGHBOURS; fewer and the map can't say which digit it is
UNSURE = 0.5  # the classifier's top probability below which an upload may not look like the dataset at all
CANVAS_PX = 224  # 8 x 28; a canvas has a fixed size, and this one fits the input column of a 1280-px window

m = ui.sidebar_model()
thing, item, dataset_name = THING[m.dataset], ITEM_WORD[m.dataset], DISPLAY_NAME[m.dataset]
st.title(f"Encode {with_article(thing)}")
st.caption(f"Upload a photo or scan of one {thing}, or draw one. It is cropped, scaled and centred the way MNIST's "
           "digits were" + ("" if m.dataset == "mnist" else f" ({dataset_name}'s items fill more of their frame)")
           + ", then the encoder maps it to " + ("its posterior q(z|x) = N(μ, σ²)." if m.is_vae else
                                                 "its code z, a single point."))


def per_dimension(m: ui.Loaded, enc: ui.Encoded) -> None:
    """mu, sigma and KL of each latent dimension, and which dimensions the model uses at all."""
    active = explore.active_units(m.mu)
    kl = explore.kl_per_dim(enc.mu, enc.sigma)
    st.dataframe({"dim": [f"z{d + 1}" for d in range(m.dim)], "μ": enc.mu, "σ": enc.sigma, "KL (nats)": kl,
                  "variance of μ over the test set": m.mu.var(axis=0), "active unit": active},
                 hide_index=True, column_config={c: st.column_config.NumberColumn(format="%.3f")
                                                 for c in ("μ", "σ", "KL (nats)", "variance of μ over the test set")})
    rule = f"their μ varies over the test {item}s (variance > 0.01; Burda et al. 2016)"
    if active.all():
        st.caption(f"All {m.dim} dimensions are active units: {rule}. None has collapsed onto the prior.")
    else:
        st.caption(f"{int(active.sum())} of {m.dim} dimensions are active units: {rule}. The others have σ ≈ 1 and "
                   f"μ ≈ 0 for every {item}: the KL term pushed them onto the prior, they carry no information and cost "
                   "almost no KL.")


def neighbours(m: ui.Loaded, enc: ui.Encoded) -> None:
    """What the test means nearest mu say, and a note when they disagree."""
    counts = explore.neighbour_counts(m.mu, m.cache.labels, enc.mu, NEIGHBOURS, len(LABEL_NAMES[m.dataset]))
    names = LABEL_NAMES[m.dataset]
    top = int(counts.argmax())
    if counts[top] >= CLEAR_MAJORITY:  # where the encoder put it, which is no verdict on what it is
        st.caption(f"On the map it lands among test {item}s labelled **{ui.plain(names[top])}**: {counts[top]} of its "
                   f"{NEIGHBOURS} nearest.")
        return
    split = ", ".join(f"{n} {'is' if n == 1 else 'are'} {ui.plain(names[i])}"
                      for i, n in sorted(enumerate(counts), key=lambda p: -p[1]) if n)
    st.warning(f"**Ambiguous:** its {NEIGHBOURS} nearest test {item}s disagree: {split}. It lies where clusters meet, so "
               "the map can't say which it is; a slightly different hand would move it to either side.",
               icon=":material/call_split:")


def doubt(m: ui.Loaded, enc: ui.Encoded) -> None:
    """A warning when the dataset's classifier cannot name the input: the upload may be nothing like the dataset
    (a digit given to the Fashion-MNIST model), and the map's neighbours then only say where it landed."""
    probabilities = ui.classify(m.dataset, enc.x[None])
    if probabilities is None or probabilities[0].max() >= UNSURE:
        return
    best = int(probabilities[0].argmax())
    st.warning(ui.plain(f"This may not look like any {thing} in {dataset_name}: a classifier trained on it is unsure "
                        f"what it is (its best guess, {LABEL_NAMES[m.dataset][best]}, gets {probabilities[0, best]:.0%}). "
                        "The encoder places any image somewhere; the neighbours below say where, not what it is."),
               icon=":material/help:")


def exact_note(m: ui.Loaded, enc: ui.Encoded, exact) -> None:
    """What the exact posterior says beside q(z|x): how far apart their means are, and where its mean lands."""
    distance, in_sigma = exact.offset_from(enc.mu, enc.sigma)
    counts = explore.neighbour_counts(m.mu, m.cache.labels, exact.mean, NEIGHBOURS, len(LABEL_NAMES[m.dataset]))
    top = int(counts.argmax())
    st.caption(f"Blue: the exact posterior p(z|x) ∝ p(x|z)·N(z; 0, I), from the decoder alone on a grid: what the "
               f"encoder's q(z|x) is trained to approximate. Its lines hold 39\u00a0% and 86\u00a0% of its mass, as "
               f"q's ellipses do; the diamond is its mean E[z|x], {distance:.3f} from μ ({in_sigma:.1f} σ of q): the "
               f"encoder is one network for every {thing}, so it only approximately finds each one's posterior. "
               f"{counts[top]} of the {NEIGHBOURS} test {item}s nearest E[z|x] are "
               f"{ui.plain(LABEL_NAMES[m.dataset][top])}.")


def keep_on_map(m: ui.Loaded, enc: ui.Encoded, name: str) -> None:
    """A button that keeps this upload's posterior for the latent map, where it is drawn among the test means."""
    with st.container(horizontal=True, vertical_alignment="center"):
        kept = ui.is_kept(m.name, enc.x)
        if st.button("Kept on the latent map" if kept else "Show on the latent map", key="enc_keep", disabled=kept,
                     icon=":material/add_location_alt:", help=f"The map draws it with its ellipses; it keeps your last "
                     f"{ui.MAX_KEPT} for this model, in this browser tab only."):
            ui.keep_encoded(m, name, enc)
            st.rerun()  # the button's label says it is kept
        count = len(ui.kept_uploads(m.name))
        if count:
            st.page_link(ui.page("Latent map"), label=f"Open the map ({count} kept)", icon=":material/scatter_plot:")


source_col, result_col = st.columns([1, 2], gap="large")
with source_col:
    mode = st.segmented_control("Input", ["Upload", "Draw"], default="Upload", key="enc_mode",
                                label_visibility="collapsed")
    data, name = None, "drawing"
    if mode == "Draw":
        st.caption(f"Draw one {thing}, large and centred, like on paper.")
        st.space(24)  # room for the canvas toolbar: on hover it pops up ~35 px above the canvas, over whatever is there
        canvas = st_canvas(stroke_width=14, stroke_color="#FFFFFF", background_color="#000000", height=CANVAS_PX,
                           width=CANVAS_PX, drawing_mode="freedraw", key="enc_canvas", return_image_data=True)
        if canvas.json_data and canvas.json_data.get("objects"):
            data = canvas.image_bytes
    else:
        upload = st.file_uploader(f"An image of one {thing}", type=ui.UPLOAD_TYPES, key="enc_upload",
                                  help="PNG, JPEG, BMP, GIF or WebP. Dark ink on light paper or the reverse.")
        if upload is not None:
            data, name = upload.getvalue(), upload.name
    deslant = fit_stroke = False  # only handwriting has a slant and a pen's stroke width to match
    if m.dataset == "mnist":
        ui.init_state("enc_deslant", ui.param_choice("slant", ["mnist", "own"], "mnist") == "mnist")
        deslant = st.toggle("Match MNIST's slant", key="enc_deslant",
                            help="Shears the digit to the slant of a typical MNIST digit before encoding: the 2-D map "
                            "sorts digits by slant as much as by shape. Off: the encoder sees your digit's own slant.")
        ui.init_state("enc_stroke", ui.param_choice("stroke", ["fit", "own"], "fit") == "fit")
        fit_stroke = st.toggle("Fit the stroke width", key="enc_stroke",
                               help="Pens write wider or thinner strokes than MNIST's. Tries your digit as prepared, "
                               "1 px thicker and 1 px thinner, and encodes the one the model explains best: the "
                               "lowest reconstruction error + KL (the negative ELBO). Off: as prepared.")
    ui.set_params(slant=None if deslant or m.dataset != "mnist" else "own",
                  stroke=None if fit_stroke or m.dataset != "mnist" else "own")

enc = None
if data is not None:  # an empty upload gets its message too
    try:
        enc = ui.encode_bytes(m, data, deslant, fit_stroke)
    except ui.ImageDecodeError as exc:
        with source_col:
            st.error(f"Could not use this image: {ui.plain(str(exc))}. Try another file or draw "
                     f"{with_article(thing)}.", icon="🚫")

with result_col:
    if enc is None:
        st.info(f"Upload or draw {with_article(thing)} to see where the encoder puts it.", icon=":material/arrow_back:")
        st.stop()
    cols = st.columns(3)
    with cols[0]:
        with st.container(width=ui.DIGIT_PX):  # at most DIGIT_PX, less in a narrower column
            st.image(ui.with_box(enc.preview, enc.box), width="stretch",
                     caption=f"your {'drawing' if mode == 'Draw' else 'image'}; the box: the ink that was used")
    with cols[1]:
        ui.show_digit(enc.x, f"input x: {ui.STROKE_WORDS[enc.stroke] or 'preprocessed 28×28'}")
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
    doubt(m, enc)
    neighbours(m, enc)
    keep_on_map(m, enc, name)
    if m.dim > 2:
        per_dimension(m, enc)

st.divider()
map_col, sample_col = st.columns([1, 1], gap="large")
if m.is_vae:
    with sample_col:
        st.subheader("Samples z = μ + σ·ε")
        st.markdown("The encoder is deterministic: it outputs μ and σ, nothing random. The randomness is an "
                    "outside input ε ~ N(0, I), and z = μ + σ·ε is a smooth function of μ and σ, so training "
                    "can send gradients through the sample into the encoder: the **reparameterization trick**.")
        with st.container(horizontal=True, vertical_alignment="bottom"):
            seed = ui.seed_button("enc_seed", "Draw new ε")
            ui.init_state("enc_spread", int(ui.param_choice("spread", ["1", "5", "20"], "1")))
            spread = st.segmented_control("Widen σ for display", [1, 5, 20], key="enc_spread",
                                          format_func=lambda s: f"{s}×", help="Multiplies σ before sampling, to "
                                          "show which way the samples vary. Not the model's posterior.") or 1
        ui.set_params(spread=spread)
        z, eps = explore.sample_posterior(enc.mu, enc.sigma, N_SAMPLES, seed=seed)
        decoded = explore.decode(m.model, z)
        strip = ui.mosaic_strip(decoded, 4, N_SAMPLES // 4)
        ui.show_mosaic(decoded, 4, N_SAMPLES // 4, len(strip) * 3,
                       f"decoder(z) for {N_SAMPLES} draws of ε (seed {seed}), true scale")
        ui.download_png(strip, f"posterior_samples_seed{seed}.png", key="dl_samples", size=len(strip) * 4,
                        label="Samples PNG")
        z_wide = enc.mu + spread * enc.sigma * eps if spread > 1 else None
        if z_wide is not None:
            ui.show_mosaic(explore.decode(m.model, z_wide), 4, N_SAMPLES // 4, len(strip) * 3,
                           f"the same ε with σ × {spread}: widened for display, not the model's own")
else:
    z = z_wide = None
    with sample_col:
        st.subheader("No sampling for a plain autoencoder")
        st.info("The plain autoencoder outputs only a point: σ = 0, so q(z|x) has no spread, there is no "
                "ellipse and nothing to sample; z = μ every time. Switch to the VAE in the sidebar to compare.")

with map_col:
    proj = m.projection
    mu_xy = proj.to_plane(enc.mu)
    exact = ui.exact_posterior(m, enc)  # 2-D VAEs only
    zoom = st.toggle("Zoom to the posterior", value=m.is_vae, key="enc_zoom", disabled=not m.is_vae,
                     help="Shows the ellipses at true scale around μ, with the nearby test means.")
    if zoom and m.is_vae:
        reach = proj.ellipse(enc.mu, enc.sigma, 2.0) if z_wide is None else proj.to_plane(z_wide)
        if exact is not None:  # the exact posterior's lines in view too
            reach = np.vstack([reach, exact.mean + 2 * exact.std, exact.mean - 2 * exact.std])
        half = max(1.6 * float(np.abs(reach - mu_xy).max()), 0.25)
        extent = (mu_xy[0] - half, mu_xy[0] + half, mu_xy[1] - half, mu_xy[1] + half)
        fig = ui.map_figure(extent, height=480, titles=proj.titles)
        inside = np.all(np.abs(m.plane - mu_xy) <= half, axis=1)
        ui.add_label_traces(fig, m.plane[inside, 0], m.plane[inside, 1], m.cache.labels[inside],
                            "test {label}<extra></extra>", LABEL_NAMES[m.dataset], size=6, opacity=0.5)
    else:
        extent = ui.union_extent(m.extent, tuple(np.repeat(mu_xy, 2) + [-0.5, 0.5, -0.5, 0.5]))
        fig = ui.map_figure(extent, height=480, titles=proj.titles)
        ui.add_means_raster(fig, m, extent)
    if m.is_vae:
        ui.add_ellipses(fig, proj, enc.mu, enc.sigma, color=ui.ink(), name="q(z|x)")  # readable in either theme
        if exact is not None:
            ui.add_exact_posterior(fig, exact)
        for points, name, color in ((z, "samples z", "#d62728"), (z_wide, f"σ × {spread} (display)", "#ff7f0e")):
            if points is not None:
                xy = proj.to_plane(points)
                fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name=name,
                                         marker=dict(symbol="circle-open", size=9, color=color, line=dict(width=2)),
                                         hovertemplate="(%{x:.3f}, %{y:.3f})<extra>" + name + "</extra>"))
    ui.add_marker(fig, mu_xy, "μ", color=ui.ink(), symbol="x")
    fig.update_layout(legend=dict(orientation="h", y=-0.22, yanchor="top", title=None))  # under the axis title
    st.plotly_chart(fig, key="enc_map", config={"displaylogo": False})
    st.caption(("Solid: 1σ ellipse, dashed: 2σ, drawn at true scale on equal axes. Red rings: the samples."
                + (f" Orange: the same ε with σ widened {spread}×." if z_wide is not None else "")
                + (" Shown on the plane of the test means' first two principal components." if m.dim > 2 else ""))
               if m.is_vae else f"The cross marks μ, the whole of the autoencoder's code for this {thing}.")
    if exact is not None:
        exact_note(m, enc, exact)
