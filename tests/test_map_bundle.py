"""The browser loads the map's modules as one file (static/latent_map/map.bundle.js, built by tools/bundle_map with
esbuild): the committed bundle must be what the sources build to now, or the browser runs stale code."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from vae_core.storage.settings import REPO

TOOL = REPO / "tools" / "bundle_map"
BUNDLE = REPO / "static" / "latent_map" / "map.bundle.js"


def test_the_committed_bundle_is_what_the_sources_build_to(tmp_path):
    esbuild = TOOL / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists() or shutil.which("node") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("esbuild is not installed: npm ci --prefix tools/bundle_map")
        pytest.skip("esbuild is not installed (npm ci --prefix tools/bundle_map)")
    build = json.loads((TOOL / "package.json").read_text())["scripts"]["build"]
    fresh = tmp_path / "map.bundle.js"
    command = build.replace("--outfile=../../static/latent_map/map.bundle.js", f"--outfile={fresh}")
    assert command != build, "the build script writes the bundle where the page loads it"
    subprocess.run(command, shell=True, cwd=TOOL, env={**os.environ, "PATH": f"{esbuild.parent}:{os.environ['PATH']}"},
                   check=True, timeout=60)
    assert fresh.read_bytes() == BUNDLE.read_bytes(), "rebuild it: npm --prefix tools/bundle_map run build"
