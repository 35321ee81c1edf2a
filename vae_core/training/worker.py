"""One training run in a process of its own, started by the app's server (`jobs.TrainingJobs`).

    python -m vae_core.training.worker      # reads one JSON request line on stdin

A run in the server's own process shared its interpreter lock and its memory with
every page; a child process shares neither, and its memory is returned when it ends.
The protocol is plain text, so nothing the child says is unpickled by the server:
  stdin   line 1: the request {"settings", "models_dir", "data_root", "limits", "owner", "threads"};
          then "stop" asks the run to stop before its next batch, and end of file (the server
          exited or was killed) does the same;
  stdout  one JSON object per line: {"labels": [...]} of the watched test images once, {"progress": {...}}
          for batches (at most ~5 a second) and every finished epoch, then {"update": {...}} changes of
          state (saving, done, cancelled, failed).
Saving writes temporaries and renames them (`store.save_native`), so a run stopped at any
point leaves no half-written model.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import torch

from vae_core.data.datasets import DatasetNotFoundError, read_labels
from vae_core.storage import store
from vae_core.storage.settings import ServingLimits
from vae_core.training.train import Progress, TrainingCancelled, TrainSettings, fit

WATCHED = 2000  # test images whose means are redrawn after every epoch
RUNNING, SAVING, DONE, CANCELLED, FAILED = "running", "saving", "done", "cancelled", "failed"
BATCH_REPORTS_PER_SECOND = 5  # the page redraws about once a second; more would only fill the pipe


class TrainingSaveFailed(RuntimeError):
    """The run ended but its files could not be written (a read-only folder, a full disk): said as a sentence."""


def watched_rows(n_test: int, count: int = WATCHED) -> np.ndarray:
    """The fixed test rows (count,) drawn in the live map: the same for every run, sorted."""
    return np.sort(np.random.default_rng(0).permutation(n_test)[: min(count, n_test)])


def model_name_for(settings: TrainSettings, when: datetime, folder: Path) -> str:
    """A readable name no file in `folder` has: mnist_vae_z2_beta4_20261123-0912 (then -2, -3, ...)."""
    return store.trained_name(settings.dataset, settings.kind, settings.latent_dim, settings.beta, when, folder)


def save_error_sentence(exc: BaseException) -> str:
    """Why a save failed, without the server's paths: the OS's reason, or torch's "unexpected pos" (a full disk)."""
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "the disk may be full"
    return f"the model could not be saved: the models folder on this server refused it ({why})"


def train_and_save(request: dict, report: Callable[[dict], None], should_stop: Callable[[], bool]) -> None:
    """Train `request["settings"]` and save the model under a new name, telling `report` what happens:
    {"labels": [...]} once, {"progress": Progress} per batch, then {"update": {...}} with the final state.
    Never raises for what a run can meet (no data, a cancel, the time limit, a refusing disk)."""
    settings = TrainSettings(**{**request["settings"], "hidden_dims": tuple(request["settings"]["hidden_dims"])})
    limits = ServingLimits(**request["limits"])
    models_dir, data_root = Path(request["models_dir"]), Path(request["data_root"])
    deadline = time.monotonic() + 60 * limits.run_time_limit_minutes
    try:
        labels = read_labels(data_root, settings.dataset, train=False)
        rows = watched_rows(len(labels))
        report({"labels": labels[rows]})
        model, metrics = fit(settings, data_root, progress=False, on_progress=lambda p: report({"progress": p}),
                             should_stop=lambda: should_stop() or time.monotonic() > deadline, watch=rows)
        report({"update": {"state": SAVING}})
        name = model_name_for(settings, datetime.now(), models_dir)
        try:
            store.save_native(model, store.model_files(name, models_dir), metrics, data_root,
                              record={"owner": request["owner"], "saved": datetime.now().isoformat(timespec="seconds")})
        except (OSError, RuntimeError) as exc:  # torch.save says only "unexpected pos" when the disk is full
            raise TrainingSaveFailed(save_error_sentence(exc)) from exc
        report({"update": {"state": DONE, "model_name": name}})
    except TrainingCancelled as exc:
        message = str(exc) if should_stop() else str(exc).replace(
            "cancelled", f"stopped at this server's {limits.run_time_limit_minutes:g}-minute limit", 1)
        report({"update": {"state": CANCELLED, "message": message}})
    except (TrainingSaveFailed, DatasetNotFoundError) as exc:
        message = str(exc) if isinstance(exc, TrainingSaveFailed) else (
            f"the {settings.dataset} files are not in this server's data folder")
        report({"update": {"state": FAILED, "message": message}})
    except Exception as exc:  # the page shows a sentence, the server's log the details
        logging.getLogger(__name__).exception("training failed")
        report({"update": {"state": FAILED, "message": f"the run failed unexpectedly ({type(exc).__name__}); "
                                                        "the server's log has the details"}})


# ------------------------------------------------------------------ the wire (both sides)
def encode(message: dict) -> str:
    """One report as a JSON line: arrays become lists, a Progress its fields."""
    def plain(value):
        if isinstance(value, Progress):
            return {"epoch": value.epoch, "epochs": value.epochs, "step": value.step, "steps": value.steps,
                    "elapsed": value.elapsed, "entry": value.entry,
                    "watch_mu": None if value.watch_mu is None else value.watch_mu.tolist()}
        if isinstance(value, np.ndarray | np.generic):
            return value.tolist()
        raise TypeError(f"{type(value).__name__} is not sent")

    return json.dumps(message, default=plain, allow_nan=True)


def decode(line: str) -> dict:
    """A report line back into {"labels": (n,) int array} / {"progress": Progress} / {"update": dict}."""
    message = json.loads(line)
    if "labels" in message:
        return {"labels": np.asarray(message["labels"], dtype=np.int64)}
    if "progress" in message:
        fields = message["progress"]
        watch_mu = None if fields["watch_mu"] is None else np.asarray(fields["watch_mu"], dtype=np.float32)
        return {"progress": Progress(**{**fields, "watch_mu": watch_mu})}
    return {"update": dict(message["update"])}


# ------------------------------------------------------------------ the child's side
def _throttled(write: Callable[[dict], None]) -> Callable[[dict], None]:
    """Pass every message but batch progress, which passes at most BATCH_REPORTS_PER_SECOND times a second."""
    last = [0.0]

    def report(message: dict) -> None:
        progress = message.get("progress")
        if progress is not None and progress.entry is None:
            now = time.monotonic()
            if now - last[0] < 1 / BATCH_REPORTS_PER_SECOND:
                return
            last[0] = now
        write(message)

    return report


def _listen(stop: threading.Event) -> None:
    """Set `stop` on a "stop" line and at the end of stdin (the server is gone: stop, saving nothing half-done).
    Reads on after a stop, so that the server's writes never fill the pipe."""
    for line in sys.stdin:
        if line.strip() == "stop":
            stop.set()
    stop.set()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C for the server: it exits, our stdin closes, we stop
    request = json.loads(sys.stdin.readline())
    if hasattr(os, "setpriority"):  # the pages come first
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, 19)
    torch.set_num_threads(int(request["threads"]))
    stop = threading.Event()
    threading.Thread(target=_listen, args=(stop,), daemon=True).start()
    out = os.fdopen(os.dup(1), "w")  # the reports' own stream; anything else printed goes to the log
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def write(message: dict) -> None:
        if out.closed:
            return
        try:
            out.write(encode(message) + "\n")
            out.flush()
        except BrokenPipeError:  # nobody reads: the server is gone, so the run stops at its next batch
            stop.set()
            with contextlib.suppress(OSError):
                out.close()

    train_and_save(request, _throttled(write), stop.is_set)


if __name__ == "__main__":
    main()
