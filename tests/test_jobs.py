"""The training engine's progress callback, cancel flag and device choice, and the server's one training slot
(vae_core.training.jobs) on real MNIST."""
import errno
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import torch

from vae_core.analysis.summary import read_summary
from vae_core.data.datasets import load_split
from vae_core.models.config import VAEConfig
from vae_core.storage import store
from vae_core.storage.checkpoint import file_sha256, load_checkpoint
from vae_core.storage.latents import load_latent_cache
from vae_core.storage.settings import ServingLimits
from vae_core.storage.store import cache_path_for, delete, files_for_path, model_files
from vae_core.training import jobs as jobs_module
from vae_core.training.jobs import CANCELLED, DONE, FAILED, TrainingBusy, TrainingJobs, _folder_lock
from vae_core.training.train import Progress, TrainingCancelled, TrainSettings, pick_device, train_model, training_subset
from vae_core.training.worker import decode, encode, model_name_for, train_and_save, watched_rows

REPO = Path(__file__).resolve().parents[1]
TINY = dict(hidden_dims=(16,), epochs=2, batch_size=64, train_share=0.01)


def written(folder: Path) -> list[str]:
    """What a run left in the models folder, besides the lock file that keeps runs one at a time."""
    return [p.name for p in folder.iterdir() if p.name != ".training.lock"]


@pytest.fixture(scope="module")
def mnist(data_root):
    return load_split(data_root, "mnist", train=True)[0][:640], load_split(data_root, "mnist", train=False)[0][:300]


def test_progress_reaches_every_batch_and_each_epoch_brings_its_record_and_watched_means(mnist):
    images, test_images = mnist
    seen = []
    model, metrics = train_model(VAEConfig(hidden_dims=(16,), latent_dim=3), images, epochs=2, batch_size=128,
                                 progress=False, test_images=test_images, on_progress=seen.append,
                                 watch_images=test_images[:50])
    assert [(p.epoch, p.step) for p in seen] == [(e, s) for e in (1, 2) for s in range(1, 6)]
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and seen[-1].remaining == 0
    ends = [p for p in seen if p.entry is not None]
    assert [p.step for p in ends] == [5, 5] and [p.entry for p in ends] == metrics["history"]
    assert ends[-1].watch_mu.shape == (50, 3)
    model.eval()
    with torch.inference_mode():  # the watched means are the model's own, after that epoch
        assert np.allclose(ends[-1].watch_mu, model.encode(test_images[:50])[0].numpy(), atol=1e-5)


def test_the_cancel_flag_stops_before_the_next_batch(mnist):
    asked = []

    def stop_at_batch_3() -> bool:
        asked.append(1)
        return len(asked) == 3

    with pytest.raises(TrainingCancelled, match="epoch 1, batch 3"):
        train_model(VAEConfig(hidden_dims=(16,)), mnist[0], epochs=1, batch_size=64, progress=False,
                    should_stop=stop_at_batch_3)


def test_device_choice(monkeypatch):
    assert pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert pick_device("auto").type == expected
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a machine without one, wherever this runs
    with pytest.raises(ValueError, match="not available"):
        pick_device("cuda")
    with pytest.raises(ValueError, match="device"):
        TrainSettings(device="tpu")


def test_settings_refuse_nonsense_and_the_share_is_a_seeded_draw():
    for bad in (dict(epochs=0), dict(lr=0.0), dict(train_share=1.5), dict(batch_size=0), dict(latent_dim=1)):
        with pytest.raises(ValueError):
            TrainSettings(**bad)
    rows = training_subset(60_000, TrainSettings(train_share=0.1, seed=4))
    assert len(rows) == 6000 and len(set(rows.tolist())) == 6000 and rows.max() > 50_000  # drawn, not the first 6,000
    assert torch.equal(rows, training_subset(60_000, TrainSettings(train_share=0.1, seed=4)))
    assert not torch.equal(rows, training_subset(60_000, TrainSettings(train_share=0.1, seed=5)))
    assert torch.equal(training_subset(60_000, TrainSettings(limit=500)), torch.arange(500))


def test_names_are_readable_and_unique(tmp_path):
    when = datetime(2026, 11, 23, 9, 12)
    assert model_name_for(TrainSettings(beta=4.0), when, tmp_path) == "mnist_vae_z2_beta4_20261123-0912"
    assert model_name_for(TrainSettings(kind="ae", dataset="fashion-mnist", latent_dim=8), when, tmp_path) == \
        "fashion_ae_z8_20261123-0912"
    (tmp_path / "mnist_vae_z2_beta1_20261123-0912.pt").write_bytes(b"")
    assert model_name_for(TrainSettings(), when, tmp_path) == "mnist_vae_z2_beta1_20261123-0912-2"
    assert np.array_equal(watched_rows(10_000), watched_rows(10_000)) and len(watched_rows(10_000)) == 2000


@pytest.mark.slow  # several seconds: the fast suite stays under a minute
def test_a_run_in_the_slot_saves_a_model_with_both_caches(tmp_path, data_root):
    jobs = TrainingJobs(tmp_path, data_root, threads=1)
    view = jobs.start(TrainSettings(**TINY), owner="a")
    with pytest.raises(TrainingBusy):
        jobs.start(TrainSettings(**TINY), owner="b")  # one at a time, whoever asks
    assert view.active and jobs.wait(300)
    view = jobs.view()
    assert view.state == DONE, view.message
    assert [e["epoch"] for e in view.history] == [1, 2] and view.watch_mu.shape == (2000, 2)
    assert view.watch_labels.shape == (2000,)
    path = tmp_path / f"{view.model_name}.pt"
    model, metrics = load_checkpoint(path)
    assert model.config == TrainSettings(**TINY).config() and metrics["train_images"] == 600
    assert len(metrics["history"]) == 2 and "test_kl" in metrics["history"][-1]
    assert len(load_latent_cache(cache_path_for(path)).mu) == 10_000
    assert len(load_latent_cache(cache_path_for(path, train=True)).mu) == 60_000
    files = model_files(view.model_name, tmp_path)
    assert sorted(written(tmp_path)) == sorted(
        [path.name, cache_path_for(path).name, cache_path_for(path, True).name, files.summary.name, files.facts.name,
         files.map_payload.name, files.record.name])
    assert store.read_record(files)["owner"] == "a", "the run's owner is recorded with the model it saved"
    summary = read_summary(files.summary, file_sha256(path))
    assert summary["prior_verdict"]["n"] == 4000 and len(summary["test_terms"]) == 2, "measured when saved"
    delete(files_for_path(path))
    assert not written(tmp_path)


@pytest.mark.slow
def test_only_the_owner_cancels_and_a_cancelled_run_writes_nothing(tmp_path, data_root):
    (tmp_path / "keep.txt").write_text("the user's file")
    jobs = TrainingJobs(tmp_path, data_root, threads=1)
    jobs.start(TrainSettings(hidden_dims=(16,), epochs=200, batch_size=32, train_share=0.05), owner="a")
    assert not jobs.cancel("b")
    assert jobs.cancel("a") and jobs.wait(120)
    assert jobs.view().state == CANCELLED and "cancelled" in jobs.view().message
    assert written(tmp_path) == ["keep.txt"]
    jobs.start(TrainSettings(**TINY), owner="b")  # the slot is free again
    assert jobs.wait(300) and jobs.view().state == DONE


@pytest.mark.slow  # a new Python process or a run: seconds; the fast suite stays under a minute
def test_a_failing_run_says_why_and_writes_nothing(tmp_path):
    jobs = TrainingJobs(tmp_path / "models", tmp_path / "no-data", threads=1)
    jobs.start(TrainSettings(**TINY), owner="a")
    assert jobs.wait(60)
    assert jobs.view().message == "the mnist files are not in this server's data folder"  # no server path
    assert jobs.view().state == FAILED and not written(tmp_path / "models")


@pytest.mark.parametrize("error, why", [
    (OSError(errno.EROFS, "Read-only file system", "/srv/app/models/x.pt"), "(Read-only file system)"),
    (RuntimeError("[enforce fail at inline_container.cc:672] unexpected pos 4096 vs 4010"), "(the disk may be full)")])
def test_a_save_the_folder_refuses_is_a_sentence(tmp_path, data_root, monkeypatch, error, why):
    # The child's own function, run here so that the save can be made to fail.
    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(store, "save_native", refuse)
    request = {"settings": TrainSettings(**TINY).to_dict(), "models_dir": str(tmp_path), "data_root": str(data_root),
               "limits": vars(ServingLimits()), "owner": "a", "threads": 1}
    reports = []
    train_and_save(request, reports.append, lambda: False)
    assert reports[-2:] == [{"update": {"state": "saving"}}, {"update": {
        "state": FAILED, "message": f"the model could not be saved: the models folder on this server refused it {why}"}}]


def test_reports_cross_the_pipe_as_json_and_come_back_equal():
    mu = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    progress = Progress(2, 3, 10, 10, 4.5, {"epoch": 2, "loss": 140.25, "test_kl": float("nan")}, mu)
    back = decode(encode({"progress": progress}))["progress"]
    assert (back.epoch, back.steps, back.elapsed, back.entry["loss"]) == (2, 10, 4.5, 140.25)
    assert np.isnan(back.entry["test_kl"]) and np.array_equal(back.watch_mu, mu) and back.watch_mu.dtype == np.float32
    assert decode(encode({"labels": np.array([3, 1])}))["labels"].tolist() == [3, 1]
    assert decode(encode({"update": {"state": "done", "model_name": "m"}})) == {"update": {"state": "done", "model_name": "m"}}
    with pytest.raises(TypeError):
        encode({"update": {"state": object()}})


@pytest.mark.slow
def test_the_run_is_a_child_process_and_the_server_keeps_its_memory(tmp_path, data_root):
    jobs = TrainingJobs(tmp_path, data_root, threads=1)
    threads_before = threading.active_count()
    jobs.start(TrainSettings(**TINY), owner="a")
    child = jobs._child
    assert child.pid != os.getpid() and child.poll() is None, "the run is a process of its own"
    while jobs.view().watch_labels is None and child.poll() is None:  # past its start: its priority is set
        time.sleep(0.05)
    assert os.getpriority(os.PRIO_PROCESS, child.pid) == 19
    # In the server's own session: Linux shares the CPU fairly between sessions before nice values count.
    assert os.getsid(child.pid) == os.getsid(0)
    assert jobs.wait(300) and jobs.view().state == DONE
    assert child.returncode == 0 and threading.active_count() == threads_before, "nothing of the run stays behind"


@pytest.mark.slow
def test_a_child_that_dies_is_a_failed_run_and_frees_the_slot(tmp_path, data_root):
    jobs = TrainingJobs(tmp_path, data_root, threads=1)
    jobs.start(TrainSettings(hidden_dims=(16,), epochs=200, batch_size=32, train_share=0.05), owner="a")
    jobs._child.kill()  # the kernel's OOM killer, or an operator's kill -9
    assert jobs.wait(60)
    assert jobs.view().state == FAILED and jobs.view().message.startswith("the training process ended unexpectedly")
    assert written(tmp_path) == []
    jobs.start(TrainSettings(**TINY), owner="b")  # the slot and the folder's lock are free again
    assert jobs.wait(300) and jobs.view().state == DONE


@pytest.mark.slow
def test_the_cli_takes_a_device_and_refuses_one_it_lacks(tmp_path, data_root):
    out = tmp_path / "m.pt"
    cli = [sys.executable, "-m", "vae_core.training.train", "--data-root", str(data_root), "--epochs", "1", "--limit", "256",
           "--hidden", "16", "--out", str(out), "--no-cache"]
    done = subprocess.run([*cli, "--device", "cpu"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "training on CPU" in done.stdout and out.exists()
    no_gpu = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # a machine without one, wherever this runs
    refused = subprocess.run([*cli, "--device", "cuda"], cwd=REPO, capture_output=True, text=True, timeout=300, env=no_gpu)
    assert refused.returncode != 0 and "not available" in refused.stderr


@pytest.mark.slow
def test_two_servers_on_one_models_folder_train_one_run_at_a_time(tmp_path, data_root):
    # Replicas behind a load balancer share the models folder: a run in another process holds its lock.
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time\n"
        f"handle = open({str(tmp_path / '.training.lock')!r}, 'w')\n"
        "fcntl.flock(handle, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        jobs = TrainingJobs(tmp_path, data_root, threads=1)
        with pytest.raises(TrainingBusy, match="another server of this app"):
            jobs.start(TrainSettings(**TINY), owner="a")
        assert jobs.view() is None
    finally:
        holder.kill()
        holder.wait()
    jobs.start(TrainSettings(**TINY), owner="a")  # the other server's run ended: the folder is free
    assert jobs.wait(300) and jobs.view().state == DONE


def _ended(pid: int) -> bool:
    """True once `pid` has exited (gone, or a zombie nobody has reaped yet)."""
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return True


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_server_that_exits_ends_its_run_and_nothing_is_written(tmp_path, data_root, how):
    server = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from vae_core.training.jobs import TrainingJobs\n"
        "from vae_core.training.train import TrainSettings\n"
        f"jobs = TrainingJobs({str(tmp_path)!r}, {str(data_root)!r}, threads=1)\n"
        "jobs.start(TrainSettings(hidden_dims=(16,), epochs=200, batch_size=32, train_share=0.05), owner='a')\n"
        "while jobs.view().progress is None:\n    time.sleep(0.1)\n"
        "print(jobs._child.pid, flush=True)\ntime.sleep(600)\n")], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        child = int(server.stdout.readline())  # the run is past its first batches
        server.send_signal(how)
        server.wait(30)
        deadline = time.monotonic() + 30
        while not _ended(child) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _ended(child), "the run ended with the server"
    finally:
        server.kill()
    assert written(tmp_path) == []


@pytest.mark.slow
def test_a_server_sees_that_another_one_is_training(tmp_path, data_root):
    other, this = TrainingJobs(tmp_path, data_root, threads=1), TrainingJobs(tmp_path, data_root, threads=1)
    assert not this.elsewhere()
    other.start(TrainSettings(hidden_dims=(16,), epochs=200, batch_size=32, train_share=0.05), owner="a")
    try:
        assert this.elsewhere() and not other.elsewhere(), "the one training knows it is its own run"
    finally:
        other.cancel("a")
        other.wait(60)
    assert not this.elsewhere()


@pytest.mark.slow
def test_a_run_that_has_ended_has_freed_the_folder(tmp_path, data_root):
    # A page that sees the end (and offers the form again) must find the folder's lock free.
    jobs = TrainingJobs(tmp_path, data_root, threads=1)
    jobs.start(TrainSettings(**TINY), owner="a")
    while jobs.view().active:
        time.sleep(0.01)
    _folder_lock(tmp_path).close()  # raises TrainingBusy while the lock is still held
    assert jobs.view().state == DONE and not jobs.elsewhere()


def test_a_child_past_its_time_limit_is_killed_and_said_so(tmp_path, data_root, monkeypatch):
    monkeypatch.setattr(jobs_module, "KILL_GRACE_S", -2.9)  # 3 s limit: killed 0.1 s after the start
    jobs = TrainingJobs(tmp_path, data_root, ServingLimits(max_run_minutes=0.05, run_time_limit_minutes=0.05), threads=1)
    jobs.start(TrainSettings(**TINY), owner="a")
    assert jobs.wait(60)
    assert jobs.view().state == FAILED
    assert jobs.view().message == "stopped at this server's 0.05-minute limit; it did not stop by itself"
    assert written(tmp_path) == []
