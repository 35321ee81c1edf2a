"""MNIST and Fashion-MNIST through torchvision, held in memory as float tensors."""
from __future__ import annotations

import gzip
import shutil
import struct
import urllib.request
from pathlib import Path
from typing import Callable

import numpy as np
import torch

DATASETS = ("mnist", "fashion-mnist")
# What the labels 0-9 mean, per dataset, and what to call one of them.
LABEL_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
}
LABEL_WORD = {"mnist": "digit", "fashion-mnist": "class"}
_RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


# torchvision's folder name for each dataset: root/<folder>/raw holds the files.
_FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}


class DatasetNotFoundError(RuntimeError):
    """The dataset is neither on disk nor downloadable."""


def _torchvision_class(dataset: str):
    from torchvision import datasets

    if dataset == "mnist":
        return datasets.MNIST
    if dataset == "fashion-mnist":
        return datasets.FashionMNIST
    raise ValueError(f"unknown dataset {dataset!r}; choose one of {DATASETS}")


def _missing_message(dataset: str, root: Path, cause: Exception) -> str:
    folder = root / _torchvision_class(dataset).__name__ / "raw"
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


def _extract_local_archives(raw_folder: Path) -> None:
    """Unpack `NAME.gz` files lying in the raw folder (as Debian's
    dataset-fashion-mnist ships them), which torchvision would otherwise try to
    download again rather than read."""
    for name in _RAW_FILES:
        packed, unpacked = raw_folder / f"{name}.gz", raw_folder / name
        if packed.is_file() and not unpacked.is_file():
            tmp = unpacked.with_suffix(".tmp")
            with gzip.open(packed, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
            tmp.replace(unpacked)


def load_split(root: str | Path, dataset: str = "mnist", train: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (images (N, 1, 28, 28) float32 in [0, 1], labels (N,) int64).

    Uses the files under `root` if present, else downloads them the way
    torchvision does. The scaling equals `transforms.ToTensor()`.
    """
    root = Path(root)
    cls = _torchvision_class(dataset)
    _extract_local_archives(root / cls.__name__ / "raw")
    try:
        ds = cls(root=str(root), train=train, download=False)
    except RuntimeError:
        try:
            ds = cls(root=str(root), train=train, download=True)
        except Exception as exc:  # network errors come in many types
            raise DatasetNotFoundError(_missing_message(dataset, root, exc)) from exc
    images = ds.data.unsqueeze(1).to(torch.float32).div_(255.0)
    return images, ds.targets.to(torch.int64)


def raw_folder(root: str | Path, dataset: str = "mnist") -> Path:
    if dataset not in _FOLDERS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {DATASETS}")
    return Path(root) / _FOLDERS[dataset] / "raw"


def _images_file(root: str | Path, dataset: str, train: bool) -> Path | None:
    name = ("train" if train else "t10k") + "-images-idx3-ubyte"
    raw = raw_folder(root, dataset)
    return next((raw / f for f in (name, f"{name}.gz") if (raw / f).is_file()), None)


def has_split(root: str | Path, dataset: str = "mnist", train: bool = False) -> bool:
    """Whether the images of that split lie in root/<Dataset>/raw (plain or .gz)."""
    return _images_file(root, dataset, train) is not None


def read_images(root: str | Path, dataset: str = "mnist", train: bool = False) -> np.ndarray:
    """The images of a split as uint8 (N, 28, 28), read straight from the IDX file (plain or .gz).

    The app shows originals with this: numpy alone reads 10,000 images in
    milliseconds, where importing torchvision costs seconds. Raises
    DatasetNotFoundError if the file is missing, ValueError if it is not IDX.
    """
    path = _images_file(root, dataset, train)
    if path is None:
        raise DatasetNotFoundError(f"no {'train' if train else 't10k'} images in {raw_folder(root, dataset)}")
    data = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 2051 or len(data) != 16 + n * rows * cols:
        raise ValueError(f"{path} is not an IDX image file")
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols)


def download(root: str | Path, dataset: str = "mnist",
             progress: Callable[[int, int], None] | None = None, timeout: float = 30.0) -> Path:
    """Download the dataset's four files into root/<Dataset>/raw, as torchvision does
    (its mirrors, its MD5 checks, unpacked beside the .gz), reporting
    progress(bytes done, bytes expected) as it goes. Each file is written to a
    temporary name and renamed, so an interrupted download leaves nothing half-written.
    Raises DatasetNotFoundError naming the folder and files if every mirror fails.
    """
    from torchvision.datasets.utils import check_integrity

    cls = _torchvision_class(dataset)
    raw = raw_folder(root, dataset)
    raw.mkdir(parents=True, exist_ok=True)
    expected = _EXPECTED_BYTES.get(dataset, 0)
    done = 0
    for filename, md5 in cls.resources:
        target = raw / filename
        if not check_integrity(target, md5):
            done = _fetch(cls.mirrors, filename, md5, target, done, expected, progress, timeout, dataset, root)
        else:
            done += target.stat().st_size
    _extract_local_archives(raw)
    if progress:
        progress(max(done, expected), max(done, expected))
    return raw


# The four .gz files' sizes together, for a progress bar before the first byte arrives.
_EXPECTED_BYTES = {"mnist": 11_594_722, "fashion-mnist": 30_878_645}


def _fetch(mirrors, filename, md5, target: Path, done: int, expected: int, progress, timeout, dataset, root) -> int:
    """Try each mirror for one file; returns the running byte count."""
    from torchvision.datasets.utils import check_integrity

    errors = []
    for mirror in mirrors:
        tmp = target.with_name(target.name + ".part")
        got = 0
        try:
            with urllib.request.urlopen(mirror + filename, timeout=timeout) as response, open(tmp, "wb") as out:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    got += len(chunk)
                    if progress:
                        progress(done + got, max(expected, done + got))
            if not check_integrity(tmp, md5):
                raise OSError(f"{filename} from {mirror} failed its MD5 check")
            tmp.replace(target)
            return done + got
        except OSError as exc:  # URLError, timeouts and refused connections are OSErrors
            errors.append(f"{mirror}: {exc}")
            tmp.unlink(missing_ok=True)
    raise DatasetNotFoundError(_missing_message(dataset, Path(root), OSError("; ".join(errors))))
