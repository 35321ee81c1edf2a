"""A training killed (SIGKILL) at several points of its save leaves a matching checkpoint and cache pair,
and the next save removes what the killed one left behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage.checkpoint import file_sha256
from vae_core.storage.latents import load_latent_cache
from vae_core.storage.store import cache_path_for, files_for_path, save_native

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def pair_hash(checkpoint: Path) -> str:
    """The checkpoint's hash, after checking that both caches record it."""
    digest = file_sha256(checkpoint)
    for train in (False, True):
        assert load_latent_cache(cache_path_for(checkpoint, train)).checkpoint_sha256 == digest
    return digest


# The training CLI, with the save's `stage` wrapped: once the temporary file named by argv[1] is written, it says
# so and waits to be killed. The kill then lands at that moment every time, however fast the machine.
PAUSING_CLI = """
import runpy, sys, time
import vae_core.storage.store as store
prefix, real_stage = sys.argv[1], store.stage

def stage_then_wait(path, write):
    staged = real_stage(path, write)
    if staged.name.startswith(prefix):
        print("STAGED", staged.name, flush=True)
        time.sleep(600)
    return staged

store.stage = stage_then_wait
sys.argv = ["train", *sys.argv[2:]]
runpy.run_module("vae_core.training.train", run_name="__main__")
"""
TRAIN_ARGS = ["--epochs", "1", "--limit", "500", "--hidden", "16", "--seed", "5"]


def start_training(out: Path, data_root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vae_core.training.train", "--data-root", str(data_root), *TRAIN_ARGS,
                             "--out", str(out)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_when_staged(out: Path, data_root: Path, prefix: str, timeout: float = 300) -> str:
    """Train into `out`, SIGKILL the run once the save has staged the temporary file starting with `prefix`;
    returns the line the run printed then ("" if it ended without staging it)."""
    proc = subprocess.Popen([sys.executable, "-c", PAUSING_CLI, prefix, "--data-root", str(data_root), *TRAIN_ARGS,
                             "--out", str(out)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        for line in proc.stdout:
            if line.startswith("STAGED"):
                os.kill(proc.pid, signal.SIGKILL)
                return line
        return ""
    finally:
        timer.cancel()
        proc.kill()
        proc.wait()
        proc.stdout.close()


@pytest.mark.parametrize("moment", [".m.pt.", ".m.train_latents.npz.", ".m.latents.npz."])
def test_a_kill_during_the_save_leaves_the_old_pair(tmp_path, data_root, moment):
    out = tmp_path / "m.pt"
    torch.manual_seed(0)
    save_native(VAE(VAEConfig(hidden_dims=(16,))).eval(), files_for_path(out), {}, data_root)
    before = pair_hash(out)
    assert kill_when_staged(out, data_root, moment), f"the save never staged {moment}"
    assert pair_hash(out) == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers  # what the kill left behind ...

    done = start_training(out, data_root)
    assert done.wait(300) == 0
    assert pair_hash(out) != before  # ... the next save replaces the pair as a whole
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # and removes the leftovers
