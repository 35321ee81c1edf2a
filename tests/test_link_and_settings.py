"""The link's parameter parsers (every class of bad value) and where settings point. Fast, no Streamlit."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer_ui.link import format_z, parse_choice, parse_number, parse_region, parse_z, region_shapes
from explorer_ui.text import plain
from vae_core.storage import settings
from vae_core.storage.store import model_files

RANGES = np.array([[-4.0, 4.0], [-3.0, 5.0]])


@pytest.mark.parametrize("text, value, why", [
    (None, "test", None), ("train", "train", None), ("valid", "test", "expected one of test, train"),
    ("", "test", "expected one of test, train"), ("TRAIN", "test", "expected one of test, train"),
])
def test_parse_choice(text, value, why):
    parsed = parse_choice(text, ["test", "train"], "test")
    assert (parsed.value, parsed.why) == (value, why)


@pytest.mark.parametrize("text, integer, value, why", [
    (None, True, None, None), ("42", True, 42, None), ("42.0", True, 42, None), ("2.5", False, 2.5, None),
    ("-3.5", True, None, "not a valid whole number"), ("abc", True, None, "not a valid whole number"),
    ("", False, None, "not a valid number"), ("nan", False, None, "not a valid number"),
    ("inf", False, None, "not a valid number"), ("1e999", True, None, "not a valid whole number"),
    ("-5", True, 0, "outside [0, 99]"), ("1e9", False, 99.0, "outside [0, 99]"),
])
def test_parse_number(text, integer, value, why):
    parsed = parse_number(text, 0, 99, None, integer=integer)
    assert (parsed.value, parsed.why) == (value, why)
    assert parsed.used is None if why is None else parsed.used


@pytest.mark.parametrize("text, z, why", [
    (None, None, None), ("0.5,-1.25", [0.5, -1.25], None), ("100,-100", [4.0, -3.0], None),
    ("abc", None, "expected 2 comma-separated numbers"), ("1", None, "expected 2 comma-separated numbers"),
    ("1,2,3", None, "expected 2 comma-separated numbers"), ("1,nan", None, "expected 2 comma-separated numbers"),
    ("1,,2", None, "expected 2 comma-separated numbers"), ("", None, "expected 2 comma-separated numbers"),
])
def test_parse_z(text, z, why):
    parsed = parse_z(text, 2, RANGES)
    assert parsed.why == why
    assert parsed.value is None if z is None else np.allclose(parsed.value, z)


def test_format_z_round_trips_through_parse_z():
    z = np.array([1.5, -0.25])
    assert format_z(z) == "1.5,-0.25" and format_z([0.0, 2.0004]) == "0,2"
    assert format_z([-0.0001, -0.5]) == "0,-0.5", "a value that rounds to zero is written without its sign"
    assert np.allclose(parse_z(format_z(z), 2, RANGES).value, z)


@pytest.mark.parametrize("text, n_shapes", [
    ("r:-1,0,1,0", 1), ("p:0,0;1,0;1,1", 1), ("r:-1,0,1,0|p:0,0;1,0;1,1;0.5,2", 2),
    ("", None), ("r:1,2,3", None), ("r:a,b,c,d", None), ("q:0,0,1,1", None), ("p:0,0;1,1", None),
    ("r:nan,0,1,0", None), ("r:1e9,0,1,0", None), ("p:" + ";".join(f"{k},0" for k in range(65)), None),
    ("|".join(["r:0,1,0,1"] * 9), None), ("r:0,1,0,1" + "0" * 4000, None), ("p:0,0;1;1,1", None),
])
def test_region_shapes_take_only_what_the_map_writes(text, n_shapes):
    shapes = region_shapes(text)
    assert (None if shapes is None else len(shapes)) == n_shapes
    parsed = parse_region(text)
    assert (parsed.value, parsed.why is None) == ((text, True) if n_shapes else (None, False))


def test_plain_text_cannot_become_markdown():
    escaped = plain("[Log in](https://evil.example) ![x](http://e/t.png) `code` <b>bold</b> *em*")
    assert re.search(r"(?<!\\)[\[\]()`*<>!:]", escaped) is None, escaped  # every special character escaped
    assert escaped.replace("\\", "") == "[Log in](https://evil.example) ![x](http://e/t.png) `code` <b>bold</b> *em*"


def test_settings_come_from_the_environment_or_hang_off_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv("MNIST_DATA_ROOT", raising=False)
    monkeypatch.delenv("LATENT_EXPLORER_MODELS", raising=False)
    repo = Path(__file__).resolve().parents[1]
    assert settings.REPO == repo
    assert settings.data_root() == repo.parent / "shared" / "data"
    assert settings.models_dir() == repo / "models" and model_files("x").checkpoint == repo / "models" / "x.pt"
    monkeypatch.setenv("MNIST_DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(tmp_path / "models"))
    assert settings.data_root() == tmp_path / "data" and settings.models_dir() == tmp_path / "models"


@pytest.mark.slow  # starts an interpreter that imports torch
def test_a_cli_run_from_another_folder_finds_the_same_data(tmp_path):
    """The CLIs' --data-root default is the settings' one, not a path relative to the working directory."""
    code = "from vae_core.training.train import main; import sys; sys.argv = ['train', '--help']; main()"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(settings.REPO)})
    assert done.returncode == 0, done.stderr
    assert "--data-root" in done.stdout and "MNIST_DATA_ROOT" in done.stdout
