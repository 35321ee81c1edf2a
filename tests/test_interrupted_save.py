"""A training killed (SIGKILL) at several points of its save leaves a matching checkpoint and cache pair,
and the next save removes what the killed one left behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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


def start_training(out: Path, data_root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vae_core.training.train", "--data-root", str(data_root), "--epochs", "1",
                             "--limit", "500", "--hidden", "16", "--seed", "5", "--out", str(out)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_when(proc: subprocess.Popen, folder: Path, prefix: str, timeout: float = 120) -> bool:
    """SIGKILL the process as soon as a temporary file starting with `prefix` appears; False if it never did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if any(entry.name.startswith(prefix) for entry in os.scandir(folder)):
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.001)
    proc.kill()
    proc.wait()
    return False


@pytest.mark.parametrize("moment", [".m.pt.", ".m.train_latents.npz.", ".m.latents.npz."])
def test_a_kill_during_the_save_leaves_the_old_pair(tmp_path, data_root, moment):
    out = tmp_path / "m.pt"
    torch.manual_seed(0)
    save_native(VAE(VAEConfig(hidden_dims=(16,))).eval(), files_for_path(out), {}, data_root)
    before = pair_hash(out)
    assert kill_when(start_training(out, data_root), tmp_path, moment), f"the save never staged {moment}"
    assert pair_hash(out) == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers  # what the kill left behind ...

    done = start_training(out, data_root)
    assert done.wait(300) == 0
    assert pair_hash(out) != before  # ... the next save replaces the pair as a whole
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # and removes the leftovers
