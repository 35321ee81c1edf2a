"""Test helpers for the real browser: Debian's Chromium and how to start it, a headless
`streamlit run` on a free port. Used by the browser tests, bench/ and docs/make_screenshots.py
(run those as modules from the repository root: `python -m bench.browser_decode`)."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(script: str | Path, cwd: str | Path, timeout: float = 60.0, env: dict | None = None,
                     port: int | None = None, options: tuple[str, ...] = ()) -> Iterator[str]:
    """Yield the base URL of a running `streamlit run script` (on `port`, else a free one; more command-line
    `options` such as ("--secrets.files", path)); stop it afterwards."""
    with streamlit_process(script, cwd, timeout, env, port, options) as (url, _):
        yield url


@contextlib.contextmanager
def streamlit_process(script: str | Path, cwd: str | Path, timeout: float = 60.0, env: dict | None = None,
                      port: int | None = None, options: tuple[str, ...] = ()) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit_server`, yielding (base URL, the server process) for those who measure it."""
    port = port or free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", *options,
    ]
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"streamlit-{port}.log", "w+")
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"streamlit did not start: {log.read()[-2000:]}")
            time.sleep(0.25)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the current run and every chart, image and skeleton has settled."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stSkeleton"]')
                 && [...document.querySelectorAll('.js-plotly-plot')].every(g => g._fullLayout)
                 && [...document.querySelectorAll('[data-testid="stMain"] img')].every(i => i.complete)""",
        timeout=timeout,
    )


def copy_default_model(folder: Path) -> Path:
    """`folder` holding a copy of the default model and its two latent caches: a models folder a test may change."""
    from vae_core.storage.settings import REPO
    from vae_core.storage.store import DEFAULT_MODEL, cache_path_for

    default = REPO / "models" / f"{DEFAULT_MODEL}.pt"
    for path in (default, cache_path_for(default), cache_path_for(default, True)):
        shutil.copy2(path, folder / path.name)
    return folder
