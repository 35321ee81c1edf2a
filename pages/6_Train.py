"""Train: train a model in the app and watch its latent space form; delete the models trained here."""
import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import explorer_ui as ui
from vae_core.analysis import explore
from vae_core.analysis.projection import projection_for
from vae_core.data.datasets import LABEL_NAMES
from vae_core.training.budget import estimate_seconds
from vae_core.training.jobs import CANCELLED, DONE, FAILED, RUNNING, JobView, TrainingBusy
from vae_core.training.train import TrainSettings

DATASET_NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
KIND_NAMES = {"vae": "VAE", "ae": "Plain autoencoder"}
BATCH_SIZES = [32, 64, 128, 256, 512]

m = ui.sidebar_model()
jobs = ui.training_jobs()
visitor = ui.visitor()
me = visitor.owner  # None until the browser has said who it is (the page's first run asks it)
st.title("Train a model")
st.caption(
    "Train a VAE or a plain autoencoder here and watch its latent space form: after every epoch the means of "
    "the same 2,000 test images are drawn again. Raise β and see the clusters merge into the prior; train on a "
    "small share of the data and see the test curves part from the training ones. The finished model is saved "
    "under models/ and appears in the model selector of every page. One training runs at a time on this server."
)
if visitor.signed_in:
    account, sign_out = st.columns([4, 1], vertical_alignment="center")
    account.caption(f"Signed in as {ui.plain(visitor.email or 'an account without an e-mail')}"
                    + (" (an admin of this server)" if visitor.admin else ""))
    sign_out.button("Sign out", icon=":material/logout:", on_click=st.logout, key="tr_sign_out")
if me is None:  # the browser says who it is first: its answer reruns the page, which must not disturb a form
    st.caption("Asking this browser who it is…")
    ui.ask_the_browser()
    st.stop()


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def describe_settings(s: TrainSettings) -> str:
    beta = f" · β = {s.beta:g}" if s.kind == "vae" else ""
    return (f"{KIND_NAMES[s.kind]}{beta} · latent dim {s.latent_dim} · hidden {', '.join(map(str, s.hidden_dims))} "
            f"· {DATASET_NAMES[s.dataset]}, {s.train_share:.0%} of the training set · {ui.plain(ui.plural(s.epochs, 'epoch'))} · "
            f"batch {s.batch_size} · learning rate {s.lr:g} · seed {s.seed}")


def parse_hidden(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in text.replace(",", " ").split())
    except ValueError:
        return None


FORM_DEFAULTS = dict(tr_dataset="mnist", tr_kind="vae", tr_latent=2, tr_beta=1.0, tr_hidden="256, 128", tr_share=100,
                     tr_epochs=5, tr_batch=128, tr_lr=2e-3, tr_seed=0)


def form_values(s: TrainSettings) -> dict:
    """The form's fields for settings `s` (keys of FORM_DEFAULTS)."""
    return dict(tr_dataset=s.dataset, tr_kind=s.kind, tr_latent=s.latent_dim, tr_beta=s.beta,
                tr_hidden=", ".join(map(str, s.hidden_dims)), tr_share=round(100 * s.train_share), tr_epochs=s.epochs,
                tr_batch=s.batch_size, tr_lr=s.lr, tr_seed=s.seed)


def fill_form(view: JobView | None) -> None:
    """The form's values: once per run this session started, that run's settings (the form is not drawn while
    it runs, and Streamlit forgets the values of widgets it did not draw); else what was typed, or the defaults."""
    if view is not None and view.owner == me and st.session_state.get("_tr_filled_from") != view.started:
        st.session_state["_tr_filled_from"] = view.started
        st.session_state.update(form_values(view.settings))
    for key, value in FORM_DEFAULTS.items():
        ui.init_state(key, value)


def settings_form() -> TrainSettings | None:
    """The run's settings; returns them when the person presses Start and they are valid."""
    with st.form("train_form", border=True):
        left, middle, right = st.columns(3)
        dataset = left.selectbox("Dataset", list(DATASET_NAMES), format_func=DATASET_NAMES.get, key="tr_dataset")
        kind = left.segmented_control("Model", list(KIND_NAMES), format_func=KIND_NAMES.get, key="tr_kind", required=True)
        latent = left.number_input("Latent dimension", 2, 32, key="tr_latent",
                                   help="2 draws z itself; more draws the plane of the means' first two principal components.")
        beta = middle.number_input("β (weight of the KL term)", 0.0, 100.0, step=0.1, key="tr_beta",
                                   help="1 is the ELBO; the plain autoencoder has no KL term and ignores it.")
        hidden = middle.text_input("Hidden sizes", key="tr_hidden",
                                   help="Widths of the encoder's layers (1 to 4); the decoder mirrors them.")
        share = middle.slider("Share of the training set", 1, 100, format="%d%%", key="tr_share")
        epochs = right.number_input("Epochs", 1, 200, key="tr_epochs")
        batch = right.selectbox("Batch size", BATCH_SIZES, key="tr_batch")
        lr = right.number_input("Learning rate", 1e-5, 0.1, format="%.4f", step=5e-4, key="tr_lr")
        seed = right.number_input("Seed", 0, 2**31 - 1, key="tr_seed")
        started = st.form_submit_button("Start training", type="primary", icon=":material/play_arrow:")
    limits = jobs.limits
    defaults = TrainSettings(hidden_dims=parse_hidden(FORM_DEFAULTS["tr_hidden"]), epochs=FORM_DEFAULTS["tr_epochs"],
                             batch_size=FORM_DEFAULTS["tr_batch"])
    st.caption(f"Each run's time is estimated before it starts (the defaults, a 2-D VAE and {defaults.epochs} epochs of "
               f"all of MNIST: about {clock(estimate_seconds(defaults))} on a two-core CPU). This server takes runs of up "
               f"to about {limits.max_run_minutes:g} minutes and stops any run after {limits.run_time_limit_minutes:g}.")
    if not started:
        return None
    widths = parse_hidden(hidden)
    try:
        if widths is None:
            raise ValueError("hidden sizes must be whole numbers separated by commas, like 256, 128")
        return TrainSettings(dataset=dataset, kind=kind, latent_dim=int(latent), beta=float(beta), hidden_dims=widths,
                             epochs=int(epochs), batch_size=int(batch), lr=float(lr), seed=int(seed),
                             train_share=share / 100)
    except ValueError as exc:
        st.error(f"Not started: {ui.plain(str(exc))}")
        return None


def start(settings: TrainSettings) -> None:
    if not (ui.has_dataset(settings.dataset) and ui.has_dataset(settings.dataset, "train")):
        ui.offer_dataset_download(settings.dataset, why="Training needs the dataset")
        return
    try:
        jobs.start(settings, me)
    except (TrainingBusy, ValueError) as exc:
        st.error(f"Not started: {ui.plain(str(exc))}")
        return
    except (OSError, RuntimeError) as exc:  # no process or thread left on the server: a sentence, the log has more
        st.error(f"Not started: this server could not start a training process just now "
                 f"({ui.plain(getattr(exc, 'strerror', None) or type(exc).__name__)}); try again later.")
        return
    st.rerun()


def latent_figure(view: JobView) -> go.Figure | None:
    """The watched test images' means after the last finished epoch, on their plane, coloured by label."""
    if view.watch_mu is None or view.watch_labels is None:
        return None
    projection = projection_for(view.watch_mu)
    plane = projection.to_plane(view.watch_mu)
    origin = projection.to_plane(np.zeros((1, view.watch_mu.shape[1])))[0]
    extent = explore.map_extent(plane)
    if view.settings.kind == "vae":  # keep the prior's 2-sigma circle in view: the clusters are read against it
        extent = ui.union_extent(extent, (origin[0] - 2.4, origin[0] + 2.4, origin[1] - 2.4, origin[1] + 2.4))
    fig = ui.map_figure(extent, height=440, titles=projection.titles)
    ui.add_label_traces(fig, plane[:, 0], plane[:, 1], view.watch_labels, "{label}<extra></extra>",
                        LABEL_NAMES[view.settings.dataset], size=5, opacity=0.7)
    if view.settings.kind == "vae":
        ui.add_prior_circles(fig, ks=(1, 2), center=tuple(origin))
    fig.update_layout(legend=dict(orientation="h", y=-0.18, x=0))
    return fig


def show_run(view: JobView, key: str) -> None:
    """Curves per epoch and the latent map of the run so far (or of the finished run)."""
    curves, _ = ui.history_figure([("this run", list(view.history), view.settings.kind == "vae", "#1f77b4")], height=320)
    left, right = st.columns(2)
    with left:
        st.plotly_chart(curves, key=f"{key}_curves", config={"displaylogo": False})
        st.caption("Solid: running mean over the epoch's training batches; dashed: the 10,000 test images after it.")
    with right:
        fig = latent_figure(view)
        epoch = view.history[-1]["epoch"] if view.history else 0
        if fig is None:
            st.info("The map appears after the first epoch.")
        else:
            st.plotly_chart(fig, key=f"{key}_map", config={"displaylogo": False})
            st.caption(f"Means of 2,000 test images after epoch {epoch}"
                       + (", with the prior's 1σ and 2σ circles." if view.settings.kind == "vae" else "."))


@st.fragment(run_every=1.0)
def progress_panel(epochs_drawn: int) -> None:
    """The bar, redrawn every second. A finished epoch (new curves and map) or the end of the run
    runs the whole page again: the charts are redrawn once per epoch, not every second."""
    view = jobs.view()
    if view is None or not view.active or len(view.history) != epochs_drawn:
        st.rerun(scope="app")
    p = view.progress
    if view.state == RUNNING:
        text = (f"Epoch {p.epoch} of {p.epochs} · batch {p.step} of {p.steps} · {clock(p.elapsed)} elapsed · "
                f"about {clock(p.remaining)} left" if p else "Reading the dataset…")
        st.progress(p.fraction if p else 0.0, text=text)
    else:
        st.progress(1.0, text="Saving the model and its latent caches…")
    st.caption(f"Training on: {view.device} · estimated before it started: about {clock(estimate_seconds(view.settings))} "
               f"in all; this server stops any run after {jobs.limits.run_time_limit_minutes:g} minutes")
    if ui.may_cancel(visitor, view.owner):
        # A callback, not `if st.button(...)`: with short epochs the page reruns every second, and a click that
        # lands in a rerun must still cancel (a callback runs with the click's own widget state, whichever run it is).
        st.button("Cancel training", icon=":material/stop:", disabled=view.state != RUNNING, key="tr_cancel",
                  on_click=jobs.cancel, args=(me,), kwargs={"admin": visitor.admin})
    else:
        st.caption("Only whoever started it (or an admin) can cancel it; a new run can start when it ends.")


def live(view: JobView) -> None:
    """The run in progress, as any session sees it."""
    st.subheader("Training" + (" (started by you)" if view.owner == me else " (started by another visitor)"))
    st.text(describe_settings(view.settings))  # settings are shown as plain text
    progress_panel(len(view.history))
    show_run(view, "tr_live")


def result(view: JobView) -> None:
    """What became of the last run on this server."""
    when = time.strftime("%H:%M", time.localtime(view.finished or view.started))
    if view.state == DONE:
        st.success(f"The run that ended at {when} saved {ui.plain(ui.describe_model(view.model_name))} as "
                   f"{ui.plain(view.model_name)}.pt; it is now in the model selector.", icon=":material/check_circle:")
        if st.button("Explore it on the latent map", icon=":material/scatter_plot:", key="tr_open"):
            st.session_state["_model"] = view.model_name
            st.switch_page(ui.page("Latent map"), query_params={"model": view.model_name})
    elif view.state == CANCELLED:
        st.info(f"The run was {view.message} (at {when}); nothing was written.", icon=":material/stop_circle:")
    elif view.state == FAILED:
        st.error("The last run failed; nothing was written.", icon=":material/error:")
        st.text(view.message)
    if view.history:
        with st.expander("The last run's curves and latent map", expanded=view.state == DONE):
            show_run(view, "tr_last")


def manage_models() -> None:
    """Models the app trained here (not the shipped ones, not imported ones) and a way to delete one's own."""
    st.subheader("Models trained here")
    trained = ui.trained_models()
    if not trained:
        st.caption("None yet. The models that came with the app, imported ones and files copied into models/ "
                   "cannot be deleted here.")
        return
    for name, owner in trained:
        label, button = st.columns([4, 1], vertical_alignment="center")
        label.text(f"{ui.describe_model(name)}  ({name}.pt)")
        if not ui.may_delete(visitor, owner):
            button.caption("yours" if owner == me else "another visitor's")
            continue
        with button.popover("Delete", icon=":material/delete:", key=f"tr_del_{name}"):
            st.text(f"Delete {name}.pt and its latent caches?")
            if st.button("Delete for good", type="primary", key=f"tr_del_yes_{name}"):
                try:
                    ui.delete_model(name, visitor)
                except ValueError as exc:
                    st.error(ui.plain(str(exc)))
                    return
                if m.name == name:
                    st.session_state.pop("_model", None)
                    ui.set_params(model=None)
                st.rerun()
    st.caption("You can delete the models you trained here; the models that came with the app, imported ones and "
               "files copied into models/ cannot be deleted here.")


view = jobs.view()
if view is not None and view.active:
    live(view)
else:
    if view is not None:
        result(view)
    refusal = ui.why_not_train(visitor)
    if refusal is None and jobs.elsewhere():
        st.info("A training is running on another server of this app (they share this models folder); one runs at "
                "a time. Start yours when it has ended.", icon=":material/hourglass_top:")
        st.button("Check again", icon=":material/refresh:", key="tr_check_again")
    elif refusal is None:
        fill_form(view)
        chosen = settings_form()
        if chosen is not None:
            start(chosen)
    else:
        st.info(refusal, icon=":material/lock:")
        if ui.sign_in_available() and not visitor.signed_in:
            st.button("Sign in", icon=":material/login:", on_click=st.login, key="tr_sign_in")
manage_models()
ui.ask_the_browser()
