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

from vae_core.data import datasets as vae_datasets
from vae_core.data.datasets import DatasetNotFoundError, DownloadRunning, download, has_split, load_split, read_images


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
    assert str(root / "MNIST" / "raw") in str(err.value)  # for the operator
    assert "failed its MD5 check" in err.value.reason and str(tmp_path) not in err.value.reason  # for a visitor
    assert not (root / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").exists()
    assert not list((root / "MNIST" / "raw").glob("*.part"))


def test_one_download_at_a_time_per_data_folder(mirror, tmp_path):
    # Two sessions pressing "Download MNIST": the second is told one is running; the first ends with correct files.
    root = tmp_path / "data"
    results, first_started = {}, threading.Event()

    def slow_progress(done, total):
        first_started.set()
        first_started.wait()
        threading.Event().wait(0.05)  # keeps the first download going while the second asks

    def run(name, progress):
        try:
            download(root, "mnist", progress=progress)
            results[name] = "done"
        except DownloadRunning as exc:
            results[name] = str(exc)

    first = threading.Thread(target=run, args=("first", slow_progress))
    first.start()
    assert first_started.wait(10)
    run("second", None)
    first.join(30)
    assert results["first"] == "done"
    assert results["second"] == "a download of MNIST is already running on this server; its files appear when it ends"
    images, _ = load_split(root, "mnist", train=False)
    assert images.shape == (5, 1, 28, 28)
    assert not [p for p in (root / "MNIST" / "raw").iterdir() if p.suffix in (".part", ".tmp")]
    with vae_datasets._only_download(root / "MNIST" / "raw", "mnist"):  # another process's lock looks the same
        with pytest.raises(DownloadRunning):
            download(root, "mnist")
    download(root, "mnist")  # free again: the files are all there
