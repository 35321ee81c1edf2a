"""What one visitor may spend on a shared server: a run's estimated time, a wall-clock limit, the trained
models' number and size, and a model the map could not send (vae_core.training.budget, ServingLimits)."""
import errno
import hashlib
import json
import subprocess
import threading
import time

import pytest

from vae_core.models.config import MAX_PARAMETERS, VAEConfig
from vae_core.models.model import VAE
from vae_core.storage.checkpoint import CheckpointError, build_from_payload
from vae_core.storage.memory import MIN_ENTRY_BYTES, BytesBoundedCache
from vae_core.storage.settings import ServingLimits, models_dir, serving_limits
from vae_core.storage.store import model_files
from vae_core.training.budget import estimate_seconds, refusal, trained_usage
from vae_core.training.jobs import CANCELLED, TrainingJobs, TrainingRefused, _folder_lock
from vae_core.training.train import TrainSettings

MB = 2**20


@pytest.mark.parametrize("config", [VAEConfig(), VAEConfig(kind="ae"), VAEConfig(hidden_dims=(7,)),
                                    VAEConfig(hidden_dims=(300, 200, 100), latent_dim=16)])
def test_the_parameter_count_is_the_built_models(config):
    assert config.parameter_count == sum(p.numel() for p in VAE(config).parameters())


def test_a_model_the_map_could_not_send_is_refused_before_any_layer_exists():
    # 4096x4 is 107 M parameters: a 428 MB checkpoint whose decoder would exceed Streamlit's message limit.
    with pytest.raises(ValueError, match=r"107\.1 M parameters; the app shows models of at most 16 M"):
        VAEConfig(hidden_dims=(4096,) * 4)
    with pytest.raises(ValueError, match="at most 16 M"):
        TrainSettings(hidden_dims=(4096, 4096))
    assert VAEConfig(hidden_dims=(2048, 2048)).parameter_count < MAX_PARAMETERS  # wide models still fit
    payload = {"config": {"hidden_dims": [4096] * 4}, "state_dict": {}}
    with pytest.raises(CheckpointError, match="at most 16 M"):
        build_from_payload("big.pt", payload, VAEConfig, VAE)


def test_the_estimate_grows_with_parameters_images_and_epochs():
    base = TrainSettings(hidden_dims=(256, 128), epochs=5)
    seconds = estimate_seconds(base)
    assert 15 < seconds < 60  # about 26 s measured for these settings on two CPU cores (bench/train_cost.py)
    assert estimate_seconds(TrainSettings(hidden_dims=(256, 128), epochs=10)) == pytest.approx(2 * seconds)
    assert estimate_seconds(TrainSettings(hidden_dims=(1024, 1024), epochs=5)) > 3 * seconds
    assert estimate_seconds(TrainSettings(hidden_dims=(256, 128), epochs=5, batch_size=32)) > 1.5 * seconds
    assert estimate_seconds(TrainSettings(hidden_dims=(256, 128), epochs=5, train_share=0.1)) < 0.3 * seconds


def test_an_over_budget_run_is_refused_with_its_estimate(tmp_path):
    # The run: hidden 2048x2 (the widest that fits), 200 epochs, batch 32.
    greedy = TrainSettings(hidden_dims=(2048, 2048), latent_dim=32, epochs=200, batch_size=32)
    why = refusal(greedy, tmp_path, ServingLimits())
    minutes = estimate_seconds(greedy) / 60
    assert why is not None and f"about {minutes:.0f} minutes" in why and "up to 15 minutes" in why
    assert refusal(TrainSettings(hidden_dims=(256, 128), epochs=5), tmp_path, ServingLimits()) is None
    jobs = TrainingJobs(tmp_path, tmp_path, ServingLimits(max_run_minutes=1), threads=1)
    with pytest.raises(TrainingRefused, match="up to 1 minute[.]"):
        jobs.start(TrainSettings(hidden_dims=(256, 128), epochs=60), owner="a")
    assert jobs.view() is None and not any(tmp_path.iterdir()), "nothing started, nothing written, no lock taken"


def trained_files(folder, n: int, size: int) -> None:
    """n models as the app's training saves them: the checkpoint and the record of who trained it."""
    for i in range(n):
        checkpoint = folder / f"mnist_vae_z2_beta1_20261201-{1000 + i}.pt"
        checkpoint.write_bytes(bytes([i]) * size)
        record = {"owner": "x", "model_sha256": hashlib.sha256(checkpoint.read_bytes()).hexdigest()}
        checkpoint.with_name(f"{checkpoint.stem}.trained.json").write_text(json.dumps(record))


def test_the_number_and_size_of_trained_models_are_bounded(tmp_path):
    (tmp_path / "mnist_vae_z2.pt").write_bytes(b"\0" * 3_000_000)  # a shipped model's name: not counted
    (tmp_path / "operator_copy.pt").write_bytes(b"\0" * 3_000_000)  # no record of the app's training: not counted
    trained_files(tmp_path, 3, 1_000_000)
    usage = trained_usage(tmp_path)
    assert usage.count == 3 and usage.mb == pytest.approx(3.0, abs=0.01)  # with the small records
    small = TrainSettings(hidden_dims=(16,), epochs=1)
    assert refusal(small, tmp_path, ServingLimits(max_trained_models=4)) is None
    assert "already holds 3 trained models" in refusal(small, tmp_path, ServingLimits(max_trained_models=3))
    assert "take 3 MB" in refusal(small, tmp_path, ServingLimits(max_trained_mb=2.5))
    assert [p.stat().st_size for p in tmp_path.iterdir()].count(1_000_000) == 3, "refused, never by deleting"


def test_the_operator_sets_the_limits_in_the_environment(monkeypatch):
    monkeypatch.setenv("LATENT_EXPLORER_MAX_RUN_MINUTES", "5")
    monkeypatch.setenv("LATENT_EXPLORER_MAX_TRAINED", "3")
    assert serving_limits() == ServingLimits(max_run_minutes=5.0, max_trained_models=3)
    for variable, bad in (("LATENT_EXPLORER_MAX_TRAINED", "2.5"), ("LATENT_EXPLORER_RUN_TIME_LIMIT", "-1"),
                          ("LATENT_EXPLORER_MAX_TRAINED_MB", "lots"), ("LATENT_EXPLORER_MAX_RUN_MINUTES", "inf")):
        monkeypatch.setenv(variable, bad)
        with pytest.raises(ValueError, match=variable):
            serving_limits()
        monkeypatch.delenv(variable)
    monkeypatch.setenv("LATENT_EXPLORER_RUN_TIME_LIMIT", "4")  # under the 5-minute runs it would accept
    with pytest.raises(ValueError, match="RUN_TIME_LIMIT must be at least LATENT_EXPLORER_MAX_RUN_MINUTES"):
        serving_limits()


@pytest.mark.slow
def test_every_run_stops_at_the_wall_clock_limit_and_writes_nothing(tmp_path, data_root):
    limit = 0.05  # minutes: 3 s, a fraction of this run's estimate
    jobs = TrainingJobs(tmp_path, data_root, ServingLimits(run_time_limit_minutes=limit), threads=1)
    jobs.start(TrainSettings(hidden_dims=(64,), epochs=50, batch_size=32, train_share=0.2), owner="a")
    assert jobs.wait(120)
    view = jobs.view()
    assert view.state == CANCELLED and "stopped at this server's 0.05-minute limit in epoch" in view.message
    assert 2.5 < view.finished - view.started < 30
    assert [p.name for p in tmp_path.iterdir()] == [".training.lock"]  # the lock that keeps runs one at a time


@pytest.mark.parametrize("what", ["process", "thread"])
def test_a_run_that_cannot_start_leaves_the_slot_and_the_folder_free(tmp_path, monkeypatch, what):
    jobs = TrainingJobs(tmp_path, tmp_path, threads=1)
    spawned = []

    class RecordedPopen(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            spawned.append(self)

    def no_process(*args, **kwargs):
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")  # fork() at the process limit

    def no_thread(self):
        raise RuntimeError("can't start new thread")

    if what == "process":
        monkeypatch.setattr(subprocess, "Popen", no_process)
    else:
        monkeypatch.setattr(subprocess, "Popen", RecordedPopen)
        monkeypatch.setattr(threading.Thread, "start", no_thread)
    with pytest.raises((OSError, RuntimeError)):
        jobs.start(TrainSettings(hidden_dims=(16,), epochs=1), owner="a")
    assert jobs.view() is None
    _folder_lock(tmp_path).close()  # nobody holds the folder's lock
    assert all(child.poll() is not None for child in spawned), "a child whose follower never started is ended"
    assert len(spawned) == (what == "thread")


def test_a_models_folder_that_cannot_be_written_refuses_in_a_sentence(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    jobs = TrainingJobs(tmp_path / "a-file" / "models", tmp_path, threads=1)
    with pytest.raises(TrainingRefused) as refused:
        jobs.start(TrainSettings(hidden_dims=(16,), epochs=1), owner="a")
    assert str(refused.value) == ("the models folder on this server cannot be written to (Not a directory); "
                                  "nothing can be trained here")


def test_the_model_cache_is_bounded_by_bytes_least_recently_used_first():
    cache = BytesBoundedCache(10 * MB)
    for name in "abc":
        cache.put(name, name.upper(), 4 * MB)  # c pushes out a: 12 MB > 10 MB
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, "B", "C") and cache.nbytes == 8 * MB
    cache.get("b")  # b is now the most recently used: d pushes out c
    cache.put("d", "D", 4 * MB)
    assert cache.get("c") is None and cache.get("b") == "B"
    cache.put("huge", "H", 50 * MB)  # over the budget alone: kept (the page needs it), alone
    assert len(cache) == 1 and cache.get("huge") == "H"
    tiny = BytesBoundedCache(MIN_ENTRY_BYTES * 3)
    for k in range(10):
        tiny.put(k, "a refusal", 10)  # a short string still counts MIN_ENTRY_BYTES: entries are bounded too
    assert len(tiny) == 3


def test_the_server_keeps_loaded_models_within_its_memory_setting(monkeypatch):
    import explorer_ui as ui

    monkeypatch.setenv("LATENT_EXPLORER_MODEL_MEMORY_MB", "10")  # two 4.3 MB checkpoints fit, not three
    folder = str(models_dir())
    names = ["mnist_vae_z2", "mnist_ae_z2", "mnist_vae_z2_beta4"]
    for name in names:
        ui.loading._load_model(folder, name, model_files(name).stamp())
    memory = ui.loading._loaded_models()
    assert memory.budget == 10 * MB and memory.nbytes <= 10 * MB
    kept = [memory.get((folder, name, model_files(name).stamp())) is not None for name in names]
    assert kept == [False, True, True]


def test_sessions_asking_for_one_model_at_once_load_it_once(monkeypatch):
    import explorer_ui as ui
    from vae_core.storage import store

    monkeypatch.setenv("LATENT_EXPLORER_MODEL_MEMORY_MB", "11")  # a cache of its own, empty
    calls = []

    def slow_load(files):
        calls.append(files.name)
        time.sleep(0.3)
        return real_load(files)

    real_load = store.load_model
    monkeypatch.setattr(store, "load_model", slow_load)
    folder, name = str(models_dir()), "mnist_vae_z2"
    results = []
    threads = [threading.Thread(target=lambda: results.append(ui.loading._load_model(folder, name, model_files(name).stamp())))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [name] and len({id(r) for r in results}) == 1
