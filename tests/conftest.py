"""Fixtures shared by the whole test suite."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from vae_core.storage import settings


@pytest.fixture(scope="session")
def data_root() -> Path:
    """Root folder holding MNIST/raw (vae_core.storage.settings: $MNIST_DATA_ROOT, else <repo>/../shared/data).

    Tests that need it are skipped when the test split is missing there,
    except under CI=true, where a missing dataset is a failure.
    """
    root = settings.data_root()
    raw = root / "MNIST" / "raw"
    if not any((raw / name).is_file() for name in ("t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz")):
        message = f"MNIST test split not found in {raw}; set MNIST_DATA_ROOT to the folder holding MNIST/raw"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return root


@pytest.fixture(scope="session")
def imported_models(tmp_path_factory, data_root) -> dict:
    """Three VAEs trained elsewhere and imported into one models folder (tests/external/imported.py):
    "examples", "pythae", "conv" -> (the model's own nn.Module, its vae_core.storage.store.ModelFiles)."""
    from tests.external.imported import import_external_models

    return import_external_models(tmp_path_factory.mktemp("external"), tmp_path_factory.mktemp("models"), data_root)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright, shared by the browser tests.

    Skipped where Chromium is not installed, except under CI=true (.ci/run installs it).
    """
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
