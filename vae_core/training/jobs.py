"""One training run at a time per server, in a child process (`vae_core.training.worker`).

    jobs = TrainingJobs(models_dir(), data_root(), serving_limits())     # one per server (the app caches it)
    jobs.start(TrainSettings(epochs=8), owner="session token")   # refused over the server's limits
    jobs.view()        # a snapshot any session can draw: settings, progress, history, the watched means
    jobs.cancel("session token")

The child runs `vae_core.training.train.fit`, the CLI's own training, and reports
each batch and epoch as a line of JSON, which a thread here folds into the view.
A finished model is saved with both latent caches as one unit (`store.save_native`:
temporaries, then renames) under a readable unique name; a cancelled, failed or
timed-out run writes nothing. The child stops when asked, at the server's time
limit, and when the server exits (its stdin closes); one that overruns is killed.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from vae_core.storage.settings import ServingLimits
from vae_core.training import worker
from vae_core.training.budget import refusal
from vae_core.training.train import Progress, TrainSettings, describe_device, pick_device
from vae_core.training.worker import CANCELLED, DONE, FAILED, RUNNING, SAVING

__all__ = ["CANCELLED", "DONE", "FAILED", "RUNNING", "SAVING", "JobView", "TrainingBusy", "TrainingJobs", "TrainingRefused"]
KILL_GRACE_S = 60  # past its time limit, a child that has not stopped by itself is killed
SAVE_GRACE_S = 600  # a save's own limit, counted from its start (70,000 images encoded, a summary measured)
LOCK_WAIT_S = 0.5
EXIT_WAIT_S = 60  # a child whose output has ended is given this long to exit before it is killed
REPO_ROOT = Path(__file__).resolve().parents[2]


class TrainingBusy(RuntimeError):
    """A training is already running on this server."""


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


def _folder_lock(folder: Path, wait_s: float = 0.0):
    """An open lock file in `folder` holding an exclusive flock: two servers on one models folder (replicas on a
    shared volume) train one run at a time. Raises TrainingBusy when another process holds it for `wait_s`."""
    import fcntl

    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / ".training.lock", "w")
    except OSError as exc:  # a read-only or missing volume: a sentence, never the server's path
        raise TrainingRefused(f"the models folder on this server cannot be written to "
                              f"({exc.strerror or type(exc).__name__}); nothing can be trained here") from exc
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                raise TrainingBusy("a training is already running on another server of this app (it shares this "
                                   "models folder)") from None
            time.sleep(0.05)


class Overrun:
    """Kills `child` when `seconds` have passed, unless stopped first; `fired` says whether it did."""

    def __init__(self, child: subprocess.Popen, seconds: float) -> None:
        self.child, self.fired = child, False
        self._timer: threading.Timer | None = None
        self.restart(seconds)

    def restart(self, seconds: float) -> None:
        self.stop()
        self._timer = threading.Timer(seconds, self._kill)
        self._timer.daemon = True
        self._timer.start()

    def _kill(self) -> None:
        self.fired = True
        self.child.kill()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            if self._timer is not threading.current_thread():
                self._timer.join()


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
        self._child: subprocess.Popen | None = None
        self._follower: threading.Thread | None = None
        self._stop_sent = False

    def view(self) -> JobView | None:
        with self._lock:
            return self._view

    def start(self, settings: TrainSettings, owner: str) -> JobView:
        """Start a run; raises TrainingBusy while another is running, TrainingRefused over the server's limits,
        ValueError for a device torch lacks, OSError or RuntimeError when no process or thread can be started."""
        device = pick_device(settings.device)
        view = JobView(settings, owner, describe_device(device, self.threads), time.time())
        with self._lock:
            if self._busy_here():
                raise TrainingBusy("a training is already running on this server")
            why = refusal(settings, self.models_dir, self.limits)
            if why is not None:
                raise TrainingRefused(why)
            # One run per models folder, whichever server process asks. (Another replica may be probing the lock
            # for its page this very moment: a short wait tells that apart from a run.)
            lock = _folder_lock(self.models_dir, wait_s=LOCK_WAIT_S)
            child = None
            try:
                child = self._spawn(settings, owner)
                follower = threading.Thread(target=self._follow, args=(child, lock), daemon=True,
                                            name="latent-explorer-training")
                follower.start()
            except BaseException:  # no run after all (no process or no thread left): the folder is free again
                if child is not None:
                    child.kill()
                    child.wait()
                lock.close()
                raise
            self._view, self._child, self._follower, self._stop_sent = view, child, follower, False
            return view

    def _busy_here(self) -> bool:
        """A run of this server is active, or has ended but is still being wound up (its lock not yet free)."""
        return (self._view is not None and self._view.active) or (self._follower is not None and self._follower.is_alive())

    def elsewhere(self) -> bool:
        """Whether another server process on this models folder is training now (it holds the folder's lock)."""
        with self._lock:
            if self._busy_here():
                return False
            try:
                _folder_lock(self.models_dir).close()
            except TrainingBusy:
                return True
            except TrainingRefused:  # an unwritable folder: `start` says so in a sentence
                return False
            return False

    def cancel(self, owner: str, admin: bool = False) -> bool:
        """Ask the run to stop before its next batch; only whoever started it (or an admin) may. True if asked."""
        with self._lock:
            if self._view is None or (self._view.owner != owner and not admin) or self._view.state != RUNNING:
                return False
            child, already = self._child, self._stop_sent
            self._stop_sent = True
        if not already:  # once: the child reads on, but a pipe nobody empties must never block a session
            self._tell(child, "stop")
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run has ended and been folded into the view (tests, scripts); True if it has."""
        follower = self._follower
        if follower is not None:
            follower.join(timeout)
        return follower is None or not follower.is_alive()

    # ---------------------------------------------------------------- the child
    def _spawn(self, settings: TrainSettings, owner: str) -> subprocess.Popen:
        request = {"settings": settings.to_dict(), "models_dir": str(self.models_dir.resolve()),
                   "data_root": str(self.data_root.resolve()), "limits": vars(self.limits), "owner": owner,
                   "threads": self.threads}
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
        # Not a session of its own: Linux shares CPU fairly between sessions ("autogroups") before nice values
        # count, so a child in its own session would take half the machine whatever its nice. (The child ignores
        # the terminal's Ctrl-C; the server's exit closes its stdin, and it stops between batches.)
        child = subprocess.Popen([sys.executable, "-m", "vae_core.training.worker"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, env=env)
        self._tell(child, json.dumps(request))
        return child

    @staticmethod
    def _tell(child: subprocess.Popen | None, line: str) -> None:
        if child is None:
            return
        try:
            child.stdin.write(line + "\n")
            child.stdin.flush()
        except (BrokenPipeError, ValueError):  # it has ended (or is ending): nothing left to tell it
            pass

    def _follow(self, child: subprocess.Popen, lock) -> None:
        """Fold the child's reports into the view until it ends; then free the folder and only then say how the run
        ended (a page that sees the end must find the folder free)."""
        timer = Overrun(child, 60 * self.limits.run_time_limit_minutes + KILL_GRACE_S)
        final: dict = {}
        try:
            for line in child.stdout:
                try:
                    message = worker.decode(line)
                except (ValueError, KeyError, TypeError):  # not a report: the log keeps it, the view does not
                    logging.getLogger(__name__).warning("training process said: %s", line[:200])
                    continue
                update = message.get("update", {})
                if update.get("state") == SAVING:
                    timer.restart(SAVE_GRACE_S)  # a save that has begun is let finish: it is the run's result
                if update.get("state") in (DONE, CANCELLED, FAILED):
                    final = update
                else:
                    self._apply(message)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(EXIT_WAIT_S)  # its output has ended: it is exiting
        finally:
            timer.stop()
            if child.poll() is None:  # hung after its output ended, or this thread failed: never leave it behind
                child.kill()
            child.wait()
            for stream in (child.stdin, child.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
            lock.close()
            if not final:  # it ended without saying how: killed (by the time limit or the system), a crash
                final = {"state": FAILED, "message": (
                    f"stopped at this server's {self.limits.run_time_limit_minutes:g}-minute limit; it did not stop by "
                    "itself" if timer.fired else f"the training process ended unexpectedly (exit code "
                    f"{child.returncode}); the server's log has the details")}
            with self._lock:
                self._view = replace(self._view, **final, finished=time.time())

    def _apply(self, message: dict) -> None:
        with self._lock:
            if "labels" in message:
                self._view = replace(self._view, watch_labels=message["labels"])
            elif "update" in message:
                self._view = replace(self._view, **message["update"])
            else:
                progress: Progress = message["progress"]
                changes = {"progress": progress}
                if progress.entry is not None:
                    changes.update(history=(*self._view.history, progress.entry), watch_mu=progress.watch_mu)
                self._view = replace(self._view, **changes)
