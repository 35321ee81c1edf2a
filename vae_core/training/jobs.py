"""One training run at a time in the app's server process, on a thread of its own.

    jobs = TrainingJobs(models_dir(), data_root(), serving_limits())     # one per server (the app caches it)
    jobs.start(TrainSettings(epochs=8), owner="session token")   # refused over the server's limits
    jobs.view()        # a snapshot any session can draw: settings, progress, history, the watched means
    jobs.cancel("session token")

The thread runs `vae_core.training.train.fit`, the CLI's own training, with a progress
callback and a cancel flag. A finished model is saved with both latent caches
as one unit (`store.save_native`: temporaries, then renames) under a
readable unique name; a cancelled, failed or timed-out run writes nothing.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import torch

from vae_core.data.datasets import DatasetNotFoundError, read_labels
from vae_core.storage import store
from vae_core.storage.settings import ServingLimits
from vae_core.training.budget import refusal
from vae_core.training.train import Progress, TrainingCancelled, TrainSettings, describe_device, fit, pick_device

WATCHED = 2000  # test images whose means are redrawn after every epoch
RUNNING, SAVING, DONE, CANCELLED, FAILED = "running", "saving", "done", "cancelled", "failed"


class TrainingBusy(RuntimeError):
    """A training is already running on this server."""


class TrainingSaveFailed(RuntimeError):
    """The run ended but its files could not be written (a read-only folder, a full disk): said as a sentence."""


class TrainingRefused(ValueError):
    """The run is over one of the server's limits (its estimated time, the trained models' number or size)."""


@dataclass(frozen=True)
class JobView:
    """A snapshot of the current (or last) run, safe to read from any thread.

    state: running, saving, done, cancelled or failed; history: the finished
    epochs' records; watch_mu (n, D) and watch_labels (n,): the means of the
    watched test images after the last finished epoch (None before it);
    model_name: the saved model (done only); message: why it failed or stopped.
    """

    settings: TrainSettings
    owner: str
    device: str
    started: float
    state: str = RUNNING
    progress: Progress | None = None
    history: tuple[dict, ...] = ()
    watch_mu: np.ndarray | None = field(default=None, repr=False)
    watch_labels: np.ndarray | None = field(default=None, repr=False)
    model_name: str | None = None
    message: str = ""
    finished: float | None = None

    @property
    def active(self) -> bool:
        return self.state in (RUNNING, SAVING)


def model_name_for(settings: TrainSettings, when: datetime, folder: Path) -> str:
    """A readable name no file in `folder` has: mnist_vae_z2_beta4_20261123-0912 (then -2, -3, ...)."""
    return store.trained_name(settings.dataset, settings.kind, settings.latent_dim, settings.beta, when, folder)


def watched_rows(n_test: int, count: int = WATCHED) -> np.ndarray:
    """The fixed test rows (count,) drawn in the live map: the same for every run, sorted."""
    return np.sort(np.random.default_rng(0).permutation(n_test)[: min(count, n_test)])


def _folder_lock(folder: Path):
    """An open lock file in `folder` holding an exclusive flock: two servers on one models folder (replicas on a
    shared volume) train one run at a time. Raises TrainingBusy when another process holds it."""
    import fcntl

    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / ".training.lock", "w")
    except OSError as exc:  # a read-only or missing volume: a sentence, never the server's path
        raise TrainingRefused(f"the models folder on this server cannot be written to "
                              f"({exc.strerror or type(exc).__name__}); nothing can be trained here") from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise TrainingBusy("a training is already running on another server of this app (it shares this models "
                           "folder)") from None
    return handle


class TrainingJobs:
    """The server's one training slot. Every method is safe to call from any session's thread."""

    def __init__(self, models_dir: Path, data_root: Path, limits: ServingLimits | None = None,
                 threads: int | None = None) -> None:
        self.models_dir, self.data_root = Path(models_dir), Path(data_root)
        self.limits = limits or ServingLimits()
        # Leave a core to the server and the browsers: the pages must stay responsive while it trains.
        self.threads = threads or max(1, (os.cpu_count() or 2) - 1)
        self._lock = threading.Lock()
        self._view: JobView | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def view(self) -> JobView | None:
        with self._lock:
            return self._view

    def start(self, settings: TrainSettings, owner: str) -> JobView:
        """Start a run; raises TrainingBusy while another is running, TrainingRefused over the server's limits,
        ValueError for a device torch lacks."""
        device = pick_device(settings.device)
        with self._lock:
            if self._view is not None and self._view.active:
                raise TrainingBusy("a training is already running on this server")
            why = refusal(settings, self.models_dir, self.limits)
            if why is not None:
                raise TrainingRefused(why)
            lock = _folder_lock(self.models_dir)  # one run per models folder, whichever server process asks
            previous = self._view
            try:
                self._stop.clear()
                self._view = JobView(settings, owner, describe_device(device, self.threads), time.time())
                self._thread = threading.Thread(target=self._run, args=(settings, lock),
                                                name="latent-explorer-training", daemon=True)
                self._thread.start()
            except BaseException:  # no run after all: the slot and the folder are free again
                lock.close()
                self._view, self._thread = previous, None
                raise
            return self._view

    def cancel(self, owner: str, admin: bool = False) -> bool:
        """Ask the run to stop before its next batch; only whoever started it (or an admin) may. True if asked."""
        with self._lock:
            if self._view is None or (self._view.owner != owner and not admin) or self._view.state != RUNNING:
                return False
            self._stop.set()
            return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run's thread ends (tests, scripts); True if it has."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    # ---------------------------------------------------------------- the thread
    def _update(self, **changes) -> None:
        with self._lock:
            self._view = replace(self._view, **changes)

    def _on_progress(self, progress: Progress) -> None:
        if progress.entry is None:
            self._update(progress=progress)
            return
        with self._lock:
            self._view = replace(self._view, progress=progress, history=(*self._view.history, progress.entry),
                                 watch_mu=progress.watch_mu)

    def _run(self, settings: TrainSettings, lock) -> None:
        with lock:  # released (closed) when the run ends, however it ends
            self._train(settings)

    def _train(self, settings: TrainSettings) -> None:
        torch.set_num_threads(self.threads)  # this thread's own pool (OpenMP), not the server's
        if hasattr(os, "setpriority"):  # Linux: a thread is a task with its own nice value; the pages come first
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        try:
            labels = read_labels(self.data_root, settings.dataset, train=False)
            rows = watched_rows(len(labels))
            self._update(watch_labels=labels[rows])
            deadline = time.monotonic() + 60 * self.limits.run_time_limit_minutes
            model, metrics = fit(settings, self.data_root, progress=False, on_progress=self._on_progress,
                                 should_stop=lambda: self._stop.is_set() or time.monotonic() > deadline, watch=rows)
            self._update(state=SAVING)
            name = model_name_for(settings, datetime.now(), self.models_dir)
            try:
                store.save_native(model, store.model_files(name, self.models_dir), metrics, self.data_root,
                                  record={"owner": self._view.owner, "saved": datetime.now().isoformat(timespec="seconds")})
            except (OSError, RuntimeError) as exc:  # torch.save says only "unexpected pos" when the disk is full
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "the disk may be full"
                raise TrainingSaveFailed(f"the model could not be saved: the models folder on this server refused "
                                         f"it ({why})") from exc
            self._update(state=DONE, model_name=name, finished=time.time())
        except TrainingCancelled as exc:
            message = str(exc) if self._stop.is_set() else str(exc).replace(
                "cancelled", f"stopped at this server's {self.limits.run_time_limit_minutes:g}-minute limit", 1)
            self._update(state=CANCELLED, message=message, finished=time.time())
        except (TrainingSaveFailed, DatasetNotFoundError) as exc:
            message = str(exc) if isinstance(exc, TrainingSaveFailed) else (
                f"the {settings.dataset} files are not in this server's data folder")
            self._update(state=FAILED, message=message, finished=time.time())
        except Exception as exc:  # a thread has nobody to raise to: the page shows a sentence, the log the details
            logging.getLogger(__name__).exception("training failed")
            self._update(state=FAILED, message=f"the run failed unexpectedly ({type(exc).__name__}); the server's "
                                               "log has the details", finished=time.time())
