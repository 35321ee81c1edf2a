"""vae_core.data.datasets.download: the app's "Download MNIST" button, against a local HTTP server.

The files are tiny but valid IDX files; torchvision's mirror list and MD5s are
pointed at them, so the real code path (mirrors in order, MD5 check, .gz
unpacked, temporary names renamed) runs without the internet.
"""
from __future__ import annotations

import gzip
import hashlib
import http.server
import struct
import threading
from functools import partial

import numpy as np
import pytest
from torchvision import datasets

from vae_core.data.datasets import DatasetNotFoundError, download, has_split, load_split, read_images


def idx_files(n: int = 5) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8).tobytes()
    labels = rng.integers(0, 10, n, dtype=np.uint8).tobytes()
    image_file = struct.pack(">IIII", 2051, n, 28, 28) + images
    label_file = struct.pack(">II", 2049, n) + labels
    return {f"{split}-{kind}.gz": gzip.compress(data) for split in ("train", "t10k")
            for kind, data in (("images-idx3-ubyte", image_file), ("labels-idx1-ubyte", label_file))}


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A local mirror serving tiny MNIST files; torchvision's MNIST points at a dead mirror, then it."""
    served = tmp_path / "served"
    served.mkdir()
    files = idx_files()
    for name, data in files.items():
        (served / name).write_bytes(data)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dead = f"http://127.0.0.1:{server.server_address[1]}/nothing-here/"
    live = f"http://127.0.0.1:{server.server_address[1]}/"
    monkeypatch.setattr(datasets.MNIST, "mirrors", [dead, live])
    monkeypatch.setattr(datasets.MNIST, "resources", [(n, hashlib.md5(d).hexdigest()) for n, d in files.items()])
    yield served
    server.shutdown()


def test_download_fetches_checks_and_unpacks_with_progress(mirror, tmp_path):
    root = tmp_path / "data"
    seen: list[tuple[int, int]] = []
    raw = download(root, "mnist", progress=lambda done, total: seen.append((done, total)))
    assert has_split(root, "mnist", train=False) and has_split(root, "mnist", train=True)
    assert sorted(p.name for p in raw.iterdir() if p.suffix == ".part") == []
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[-1][0] == seen[-1][1] == sum(len(d) for d in idx_files().values())
    images, labels = load_split(root, "mnist", train=False)
    assert images.shape == (5, 1, 28, 28) and labels.shape == (5,)
    # The app's torchvision-free reader sees the same pixels, from the unpacked file or the .gz.
    assert np.array_equal(read_images(root, "mnist", train=False), (images[:, 0] * 255).round().byte().numpy())
    (raw / "t10k-images-idx3-ubyte").unlink()
    assert np.array_equal(read_images(root, "mnist", train=False), (images[:, 0] * 255).round().byte().numpy())


def test_a_corrupt_mirror_leaves_nothing_and_says_where_to_put_the_files(mirror, tmp_path):
    (mirror / "t10k-images-idx3-ubyte.gz").write_bytes(b"corrupted in transit")
    root = tmp_path / "data"
    with pytest.raises(DatasetNotFoundError, match="MD5") as err:
        download(root, "mnist")
    assert str(root / "MNIST" / "raw") in str(err.value)
    assert not (root / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").exists()
    assert not list((root / "MNIST" / "raw").glob("*.part"))
