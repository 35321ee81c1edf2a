"""MNIST and Fashion-MNIST through torchvision, held in memory as float tensors."""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import torch

DATASETS = ("mnist", "fashion-mnist")
_RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


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
