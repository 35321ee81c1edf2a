"""MNIST and Fashion-MNIST: read straight from the IDX files with numpy (as float tensors for
training and evaluation, as uint8 for the app's originals); downloaded the way torchvision does."""
from __future__ import annotations

import contextlib
import gzip
import http.client
import os
import shutil
import struct
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch only where a split becomes tensors: reading the files needs none
    import torch


@dataclass(frozen=True)
class DatasetInfo:
    """The facts about one dataset that the app, the CLIs and the checks need."""

    label_names: tuple[str, ...]  # what the labels 0-9 mean
    label_word: str  # what a label is called ("digit", "class")
    item_word: str  # what one image is called ("a test digit", "a test item")
    display_name: str  # the dataset's name in sentences ("MNIST", "Fashion-MNIST")
    thing: str  # what one image shows, for a person who uploads one ("handwritten digit")
    folder: str  # torchvision's folder: root/<folder>/raw holds the files
    download_bytes: int  # the four .gz files' sizes together, for a progress bar before the first byte
    system_folder: Path | None = None  # where a Debian package puts the files, read when the data root lacks them
    image_size: int = 28


DATASET_INFO = {
    "mnist": DatasetInfo(tuple(str(d) for d in range(10)), "digit", "digit", "MNIST", "digit",
                          "MNIST", 11_594_722),
    "fashion-mnist": DatasetInfo(("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                                  "Bag", "Ankle boot"), "class", "item", "Fashion-MNIST", "item of clothing",
                                 "FashionMNIST", 30_878_645,
                                 Path("/usr/share/datasets/fashion-mnist")),  # apt-get install dataset-fashion-mnist
}
DATASETS = tuple(DATASET_INFO)
# Lookups by dataset name, read off the table.
LABEL_NAMES = {name: info.label_names for name, info in DATASET_INFO.items()}
LABEL_WORD = {name: info.label_word for name, info in DATASET_INFO.items()}
ITEM_WORD = {name: info.item_word for name, info in DATASET_INFO.items()}
DISPLAY_NAME = {name: info.display_name for name, info in DATASET_INFO.items()}
THING = {name: info.thing for name, info in DATASET_INFO.items()}


def with_article(word: str) -> str:
    """`word` after "a" or "an": "an Ankle boot", "an 8", "a Bag". By the first letter, which is right for every
    label name here (labels are the words above or the digits 0-9, of which only 8 starts with a vowel sound)."""
    return f"{'an' if word[:1].lower() in 'aeiou8' else 'a'} {word}"
_RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


class DatasetNotFoundError(RuntimeError):
    """The dataset is neither on disk nor downloadable. str(): for the operator (names the folder);
    `reason`: why a download failed, with no server path in it (what a visitor may read)."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class DownloadRunning(RuntimeError):
    """Another download into the same data folder is under way (in this process or another)."""


def _torchvision_class(dataset: str):
    from torchvision import datasets

    if dataset == "mnist":
        return datasets.MNIST
    if dataset == "fashion-mnist":
        return datasets.FashionMNIST
    raise ValueError(f"unknown dataset {dataset!r}; choose one of {DATASETS}")


def _missing_message(dataset: str, root: Path, cause: Exception) -> str:
    folder = raw_folder(root, dataset)
    hint = (
        "on Debian, `apt-get install dataset-fashion-mnist` puts them in "
        "/usr/share/datasets/fashion-mnist/; copy them there"
        if dataset == "fashion-mnist"
        else "run once with internet access and torchvision downloads them"
    )
    return (
        f"{dataset} was not found under {folder} and could not be downloaded ({cause}). "
        f"Expected the files {', '.join(_RAW_FILES)} (optionally .gz) in that folder; "
        f"{hint}, or pass --data-root pointing at a folder that has {folder.relative_to(root)}."
    )


def load_split(root: str | Path, dataset: str = "mnist", train: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (images (N, 1, 28, 28) float32 in [0, 1], labels (N,) int64).

    Reads the IDX files under `root` (or the system's copy) if present, else
    downloads them the way torchvision does. The scaling equals `transforms.ToTensor()`.
    """
    import torch

    if has_split(root, dataset, train) and _split_file(root, dataset, train, "labels") is not None:
        images = torch.from_numpy(read_images(root, dataset, train).copy())
        labels = torch.from_numpy(read_labels(root, dataset, train).astype(np.int64))
        return images.unsqueeze(1).to(torch.float32).div_(255.0), labels
    root = Path(root)
    cls = _torchvision_class(dataset)
    try:
        ds = cls(root=str(root), train=train, download=True)
    except Exception as exc:  # network errors come in many types
        raise DatasetNotFoundError(_missing_message(dataset, root, exc)) from exc
    images = ds.data.unsqueeze(1).to(torch.float32).div_(255.0)
    return images, ds.targets.to(torch.int64)


def raw_folder(root: str | Path, dataset: str = "mnist") -> Path:
    if dataset not in DATASET_INFO:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {DATASETS}")
    return Path(root) / DATASET_INFO[dataset].folder / "raw"


def _split_file(root: str | Path, dataset: str, train: bool, kind: str = "images") -> Path | None:
    """The IDX file (plain or .gz) of one split's images or labels: under root, else the system's copy."""
    name = f"{'train' if train else 't10k'}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"
    folders = [raw_folder(root, dataset)]  # raises for an unknown dataset
    system = DATASET_INFO[dataset].system_folder
    folders += [system] if system else []
    candidates = (folder / f for folder in folders for f in (name, f"{name}.gz"))
    return next((path for path in candidates if path.is_file()), None)


def has_split(root: str | Path, dataset: str = "mnist", train: bool = False) -> bool:
    """Whether the images of that split lie in root/<Dataset>/raw or the system's copy (plain or .gz)."""
    return _split_file(root, dataset, train) is not None


def read_images(root: str | Path, dataset: str = "mnist", train: bool = False) -> np.ndarray:
    """The images of a split as uint8 (N, 28, 28), read straight from the IDX file (plain or .gz).

    The app shows originals with this: numpy alone reads 10,000 images in
    milliseconds, where importing torchvision costs seconds. Raises
    DatasetNotFoundError if the file is missing, ValueError if it is not IDX.
    """
    data, path = _read_idx(root, dataset, train, "images")
    magic, n, rows, cols = struct.unpack(">IIII", data[:16]) if len(data) >= 16 else (0, 0, 0, 0)
    if magic != 2051 or len(data) != 16 + n * rows * cols:
        raise ValueError(f"{path.name} is not an IDX image file")
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols)


def read_labels(root: str | Path, dataset: str = "mnist", train: bool = False) -> np.ndarray:
    """The labels of a split as uint8 (N,), read from the IDX file (plain or .gz)."""
    data, path = _read_idx(root, dataset, train, "labels")
    magic, n = struct.unpack(">II", data[:8]) if len(data) >= 8 else (0, 0)
    if magic != 2049 or len(data) != 8 + n:
        raise ValueError(f"{path.name} is not an IDX label file")
    return np.frombuffer(data, np.uint8, offset=8)


def _read_idx(root: str | Path, dataset: str, train: bool, kind: str) -> tuple[bytes, Path]:
    path = _split_file(root, dataset, train, kind)
    if path is None:
        raise DatasetNotFoundError(f"no {'train' if train else 't10k'} {kind} of {dataset} in the data folder")
    if path.suffix == ".gz":
        with gzip.open(path) as packed:
            return packed.read(), path
    return path.read_bytes(), path


def _extract_local_archives(raw_folder: Path) -> None:
    """Unpack the downloaded `NAME.gz` files beside themselves, as torchvision does."""
    for name in _RAW_FILES:
        packed, unpacked = raw_folder / f"{name}.gz", raw_folder / name
        if packed.is_file() and not unpacked.is_file():
            tmp = unpacked.with_suffix(".tmp")
            with gzip.open(packed, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
            tmp.replace(unpacked)


def download(root: str | Path, dataset: str = "mnist",
             progress: Callable[[int, int], None] | None = None, timeout: float = 30.0) -> Path:
    """Download the dataset's four files into root/<Dataset>/raw, as torchvision does
    (its mirrors, its MD5 checks, unpacked beside the .gz), reporting
    progress(bytes done, bytes expected) as it goes. Each file is written to a
    temporary name and renamed, so an interrupted download leaves nothing half-written.
    Raises DatasetNotFoundError naming the folder and files if every mirror fails, DownloadRunning
    while another download into the same folder runs (one at a time, across processes).
    """
    raw = raw_folder(root, dataset)
    raw.mkdir(parents=True, exist_ok=True)
    with _only_download(raw, dataset):
        _download_files(dataset, Path(root), _Progress(progress, DATASET_INFO[dataset].download_bytes), timeout)
    return raw


@contextlib.contextmanager
def _only_download(raw: Path, dataset: str):
    """Hold the data folder's download lock (an flock, so other server processes on the folder see it too);
    raises DownloadRunning when it is held."""
    import fcntl

    with open(raw / ".download.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DownloadRunning(f"a download of {DATASET_INFO[dataset].display_name} is already running on this "
                                  "server; its files appear when it ends") from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _download_files(dataset: str, root: Path, counter: _Progress, timeout: float) -> None:
    """Each file not yet here and intact, from the first of torchvision's mirrors that delivers it; then unpacked."""
    from torchvision.datasets.utils import check_integrity

    cls, raw = _torchvision_class(dataset), raw_folder(root, dataset)
    for filename, md5 in cls.resources:
        target = raw / filename
        if check_integrity(target, md5):
            counter.add(target.stat().st_size)
            continue
        errors = []
        for mirror in cls.mirrors:  # in torchvision's order; the first that delivers wins
            if (error := _fetch(mirror + filename, md5, target, counter, timeout)) is None:
                break
            errors.append(error)
        else:
            reason = "; ".join(errors)
            raise DatasetNotFoundError(_missing_message(dataset, root, OSError(reason)), reason)
    _extract_local_archives(raw)
    counter.finish()


class _Progress:
    """Bytes done over bytes expected, reported to an optional callback."""

    def __init__(self, callback: Callable[[int, int], None] | None, expected: int):
        self.callback, self.expected, self.done = callback, expected, 0

    def add(self, n: int) -> None:
        self.done += n
        if self.callback:
            self.callback(self.done, max(self.expected, self.done))

    def finish(self) -> None:
        if self.callback:  # the estimate gives way to what really came
            self.callback(self.done, self.done)


def _fetch(url: str, md5: str, target: Path, counter: _Progress, timeout: float) -> str | None:
    """One file from one mirror into `target` (via a .part file); None on success, else why not."""
    from torchvision.datasets.utils import check_integrity

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                counter.add(len(chunk))
        if not check_integrity(tmp, md5):
            raise OSError(f"{target.name} from {url} failed its MD5 check")
        tmp.replace(target)
        return None
    except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, refusals; a connection cut short
        # A file-system error names its file (a server path): only its reason is kept.
        return f"{url}: {exc.strerror if isinstance(exc, OSError) and exc.filename else exc or type(exc).__name__}"
    finally:  # whatever ended it (an error, or the visitor's next click interrupting the page's download)
        tmp.unlink(missing_ok=True)
