"""Reconstruction vs KL: the tug of war in the VAE's loss, per epoch, across beta, and as blur you can see."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import explorer_ui as ui
from latent_component.chart import plotly_figure
from vae_core.analysis import explore, tradeoff
from vae_core.data.datasets import ITEM_WORD, LABEL_NAMES, LABEL_WORD, with_article

SERIES_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")

m = ui.sidebar_model()
st.title("Reconstruction vs KL")
item = ITEM_WORD[m.dataset]
st.markdown(
    f"A VAE minimises **reconstruction + β·KL**. Reconstruction, −log p(x|z), wants every {item}'s posterior small "
    "and far from the others, so z pins down the image. The KL term, KL(q(z|x) ‖ N(0, I)), wants every "
    "posterior wide and centred on 0, so that z ~ N(0, I) decodes into something real. They pull against each "
    f"other: where posteriors overlap, one z must decode to an average of several {item}s, and samples blur. "
    "β sets the exchange rate (β = 1 is the ELBO of Kingma & Welling 2014)."
)


def per_epoch(names: list[str]) -> None:
    """Train and test reconstruction and KL per epoch of the chosen models."""
    chosen = st.multiselect("Models", names, default=[m.name], key="to_curves", format_func=ui.describe_model,
                            max_selections=len(SERIES_COLORS))
    loaded = [other for other in map(ui.load_or_error, chosen) if other is not None]
    curves, missing_test = ui.history_figure(
        [(ui.describe_model(other.name), other.history, other.is_vae, color)
         for color, other in zip(SERIES_COLORS, loaded, strict=False)])
    plotly_figure(curves, key="to_curves_fig", config={"displaylogo": False})
    recorded = len(missing_test) < len(loaded)
    st.caption("Solid: running mean over each epoch's training batches"
               + ("; dashed: the test set after the epoch (one posterior draw per image)." if recorded else ".")
               + (" The autoencoder has no KL term." if not all(other.is_vae for other in loaded) else "")
               + (f" Test curves were not recorded for {ui.plain(', '.join(missing_test))}." if missing_test
                  else ""))


def last_train_terms(m: ui.Loaded) -> tuple[float, float] | None:
    """(reconstruction, KL) on the training set at the last epoch (running mean over its batches), if recorded."""
    last = m.history[-1] if m.history else {}
    values = last.get("recon"), last.get("kl")
    return values if all(isinstance(v, int | float) for v in values) else None


def numbers_table(family: list[ui.Loaded], test: list, train: list) -> None:
    """The numbers that tell the beta models apart, one row per model."""
    rows = []
    for other, (recon, kl), trained in zip(family, test, train, strict=True):
        judged = ui.prior_verdict(other.name, other.stamp)
        rows.append({"model": ui.describe_model(other.name), "β": other.beta, "KL": kl, "recon": recon,
                     "train recon": trained[0] if trained else None, "recon + KL": recon + kl,
                     "mean σ": float(np.mean(other.sigma)),
                     "confident prior samples": None if judged is None else 100 * judged["confident_share"]})
    st.dataframe(rows, hide_index=True, column_config={
        "KL": st.column_config.NumberColumn(format="%.2f", help="test set, nats per image"),
        "recon": st.column_config.NumberColumn(format="%.1f", help="test set, nats per image"),
        "train recon": st.column_config.NumberColumn(format="%.1f", help="training set, last epoch's running mean"),
        "recon + KL": st.column_config.NumberColumn(format="%.1f", help="test negative ELBO, nats per image"),
        "mean σ": st.column_config.NumberColumn(format="%.3f", help="posterior std, averaged over test digits"),
        "confident prior samples": st.column_config.NumberColumn(
            format="%.1f %%", help=f"of {ui.PRIOR_SAMPLES:,} decoded z ~ N(0, I) (a fixed draw), the share the "
                                   "classifier names with probability >= 0.9"),
    })


def rate_distortion(family: list[ui.Loaded], test: list, train: list) -> go.Figure:
    """KL against reconstruction, one line per recipe through its models in order of beta."""
    rd = go.Figure()
    for color, (recipe, members) in zip(SERIES_COLORS, ui.group_by_recipe(family).items(), strict=False):
        rows = [family.index(other) for other in members]
        labels = [f"β = {family[r].beta:g}" for r in rows]
        suffix = f" ({recipe.describe()})" if len({other.recipe for other in family}) > 1 else ""
        if all(train[r] for r in rows):
            rd.add_trace(go.Scatter(x=[train[r][1] for r in rows], y=[train[r][0] for r in rows], mode="lines+markers",
                                    text=labels, name=f"training set, last epoch{suffix}", line=dict(color="#bbb", dash="dot"),
                                    marker=dict(size=9, color="#999", symbol="circle-open"),
                                    hovertemplate="KL %{x:.2f}<br>reconstruction %{y:.2f}<extra>%{text}, train</extra>"))
        rd.add_trace(go.Scatter(x=[test[r][1] for r in rows], y=[test[r][0] for r in rows], mode="lines+markers+text",
                                text=labels, textposition="top right", cliponaxis=False, name=f"test set{suffix}",
                                marker=dict(size=11, color=color), line=dict(color=color, dash="dot"),
                                hovertemplate="KL %{x:.2f}<br>reconstruction %{y:.2f}<extra>%{text}, test</extra>"))
    # The title sits on the plot, under Plotly's toolbar; the top labels may reach into the margin.
    rd.update_layout(height=380, margin=dict(l=10, r=40, t=ui.MODEBAR_PX + 40, b=10),
                     title=dict(text="Rate (KL) against distortion (reconstruction)", font_size=14,
                                y=1, yref="paper", yanchor="bottom", pad=dict(b=22)),
                     xaxis_title="KL (nats per image)", yaxis_title="reconstruction (nats per image)",
                     legend=dict(orientation="h", y=-0.3, x=0))
    return rd


def beta_side_by_side(family: list[ui.Loaded], seed: int) -> None:
    """Rate against distortion, the numbers, and each model's map, prior samples and manifold."""
    rd_col, note_col = st.columns([3, 2], gap="large")
    train = [last_train_terms(other) for other in family]
    test = [ui.test_terms(other) for other in family]
    with rd_col:
        plotly_figure(rate_distortion(family, test, train), key="to_rd", config={"displaylogo": False})
    with note_col:
        st.markdown("Larger β buys a smaller KL: the codes carry less information about their digit and crowd onto "
                    "N(0, I), and reconstruction gets worse, on both sets. Below β = 1 the training digits gain, "
                    "the test digits need not: with two dimensions the extra information goes into memorising.")
    numbers_table(family, test, train)

    for column, other in zip(st.columns(len(family)), family, strict=True):
        with column:
            st.subheader(f"β = {other.beta:g}")
            st.caption(ui.plain(ui.describe_model(other.name)))
            extent = (-4.0, 4.0, -4.0, 4.0)
            fig = ui.map_figure(extent, height=260)
            ui.add_means_raster(fig, other, extent)
            ui.add_prior_circles(fig, ks=(1, 2))
            fig.update_layout(showlegend=False, margin=dict(l=0, r=0, t=0, b=0))
            plotly_figure(fig, key=f"to_map_{other.name}", config={"displayModeBar": False})
            ui.show_mosaic(explore.decode(other.model, explore.prior_samples(36, 2, seed)), 6, 6, 356,  # 2 px per pixel
                           "decoder(z), z ~ N(0, I)")
            grid = explore.latent_grid(8, 2.0, "gaussian")
            ui.show_digit(ui.mosaic_strip(explore.decode(other.model, grid), 8, 8, pad=0), "manifold, |z| ≤ 2", size=240)
    st.caption("Maps: test means on the same axes, with the prior's 1σ and 2σ circles. The same z's are decoded in "
               "every column, so the differences are the models'.")


def choose_family(candidates: list[ui.Loaded]) -> list[ui.Loaded]:
    """The models to compare: by default those trained like the one in the sidebar (else the largest
    such group); the visitor may add or drop any. Sorted by beta."""
    groups = ui.group_by_recipe(candidates)
    mine = next((other.recipe for other in candidates if other.name == m.name), None)
    default = groups[mine] if mine in groups else max(groups.values(), key=len)
    by_name = {other.name: other for other in candidates}
    chosen = st.multiselect("Models compared", list(by_name), default=[other.name for other in default],
                            key="to_family", max_selections=len(SERIES_COLORS),
                            format_func=lambda name: f"β = {by_name[name].beta:g} · {ui.describe_model(name)}",
                            help="The app's own 2-D VAEs of this dataset. By default, those trained with the same "
                                 "recipe (architecture, epochs, batch, learning rate) as the one in the sidebar, so "
                                 "that only β differs.")
    family = sorted((by_name[name] for name in chosen), key=lambda other: other.beta)
    recipes = ui.group_by_recipe(family)
    if len(recipes) > 1:
        st.warning(ui.plain("These models differ in more than β: " + "; ".join(
            f"{', '.join(f'β = {o.beta:g}' for o in members)}: {recipe.describe()}" for recipe, members in recipes.items())
            + ". Each line on the chart joins one recipe's models; between lines the differences are not β's alone."),
            icon=":material/compare_arrows:")
    return family


def halfway_reading(m: ui.Loaded, image: np.ndarray) -> str:
    """What the dataset's classifier takes the border's decoding for: it need not be either end's class."""
    probabilities = ui.classify(m.dataset, image[None])
    if probabilities is None:
        return ""
    best = int(probabilities[0].argmax())
    name, share = LABEL_NAMES[m.dataset][best], f"{probabilities[0, best]:.0%}"
    if probabilities[0, best] < 0.5:
        return f"A classifier trained on the dataset cannot name it (its best guess, {name}, gets {share})."
    return f"A classifier trained on the dataset takes it for {with_article(name)} ({share})."


def blur(m: ui.Loaded, seed: int) -> None:
    """Halfway between two clusters: the decoder's probabilities, a Bernoulli sample, and the neighbours."""
    names_of = LABEL_NAMES[m.dataset]
    pick_a, pick_b = st.columns(2)
    a = pick_a.selectbox(f"A {LABEL_WORD[m.dataset]}", range(10), index=4, format_func=names_of.__getitem__, key="to_a")
    b = pick_b.selectbox(f"and another {LABEL_WORD[m.dataset]}", range(10), index=9, format_func=names_of.__getitem__,
                         key="to_b")
    if a == b:
        st.info("Pick two different classes: the blur lives between clusters.")
        return
    try:
        where = tradeoff.between_clusters(m.mu, m.cache.labels, a, b)
    except ValueError:  # a class with no test means in this model's cache
        st.info(f"The test set of this model has no {names_of[a]} or no {names_of[b]}: pick another pair.")
        return
    decoded = explore.decode(m.model, np.stack([m.mu[where.index_a], where.z, m.mu[where.index_b]]))
    originals = ui.dataset_images(m.dataset)
    shown = [(decoded[0], f"decoder(μ) of test #{where.index_a}, {with_article(names_of[a])}"),
             (decoded[1], "decoder(z) on the border: pixel probabilities"),
             (tradeoff.bernoulli_sample(decoded[1], seed), "a Bernoulli sample of those pixels"),
             (decoded[2], f"decoder(μ) of test #{where.index_b}, {with_article(names_of[b])}")]
    if originals is not None:  # the test images themselves at both ends
        shown = [(originals[where.index_a] / 255.0, f"original test #{where.index_a}"), *shown,
                 (originals[where.index_b] / 255.0, f"original test #{where.index_b}")]
    for column, (image, caption) in zip(st.columns(len(shown)), shown, strict=True):
        with column:
            ui.show_digit(image, caption, size=140)
    st.caption(f"z = ({ui.format_z(where.z).replace(',', ', ')}) lies on the line between the two classes' median codes, "
               "as far from the "
               f"nearest test {names_of[a]} as from the nearest {names_of[b]}. The decoder's output is a probability per "
               f"pixel, and there it hedges: grey strokes. {halfway_reading(m, decoded[1])} Drawing each "
               f"pixel from its probability does not make a sharper {item}, only speckle, because the pixels are drawn "
               "independently; that is why VAE figures show the probabilities.")
    grey = [tradeoff.grey_ink_share(image) for image in decoded]
    with st.container(horizontal=True):
        st.metric("Grey share of the ink on the border", f"{100 * grey[1]:.0f} %", width="content",
                  help="Of the pixels with any ink (> 0.2), the share that is grey (< 0.8).")
        st.metric(f"… of the two {item}s' decodings", f"{50 * (grey[0] + grey[2]):.0f} %", width="content")
        if originals is not None:
            crisp = [tradeoff.grey_ink_share(originals[i] / 255.0) for i in (where.index_a, where.index_b)]
            st.metric("… of the two originals", f"{50 * sum(crisp):.0f} %", width="content")


names = ui.list_models()
st.header("Per epoch", divider="gray")
per_epoch(names)
st.header("β side by side", divider="gray")
# Like with like: the app's own 2-D MLP VAEs of one dataset; an imported model (another architecture,
# or a β its file never said) is not placed among them.
candidates = [other for other in map(ui.try_load, names)
              if other is not None and other.is_native and other.is_vae and other.beta is not None and other.dim == 2
              and other.dataset == m.dataset and ui.test_terms(other)]
seed = ui.seed_button("to_seed", "New samples")
family = choose_family(candidates) if candidates else []
if len(family) < 2:
    st.info(f"Fewer than two 2-D VAEs on {m.dataset} with measured test terms (the dataset or a training record "
            "is needed) are chosen: nothing to compare. Train one with another β on the Train page or with "
            "`latent-explorer train --beta` (see the README).")
else:
    beta_side_by_side(family, seed)
st.header("Blur you can see", divider="gray")
blur(m, seed)
