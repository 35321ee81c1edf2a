"""The "download the dataset" offer, for servers that lack MNIST (originals of clicked digits need it)."""
from __future__ import annotations

import streamlit as st

from vae_core.data.datasets import DatasetNotFoundError, DownloadRunning, download
from vae_core.storage.settings import data_root

from .loading import forget_dataset_images

_NAMES = {"mnist": ("MNIST", "about 11 MB"), "fashion-mnist": ("Fashion-MNIST", "about 30 MB")}


def offer_dataset_download(dataset: str, why: str = "Originals are not shown") -> None:
    """Say that the dataset is missing (`why` it matters) and offer a button that downloads it into the data folder."""
    name, size = _NAMES[dataset]
    st.info(f"{why}: the {name} files are not in this server's data folder.", icon="ℹ️")
    if not st.button(f"Download {name} ({size})", icon=":material/download:", key=f"download_{dataset}"):
        return
    bar = st.progress(0.0, text=f"Downloading {name}…")

    def report(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"Downloading {name}: {done / 1e6:.1f} of {total / 1e6:.1f} MB")

    try:
        download(data_root(), dataset, progress=report)
    except DownloadRunning as exc:
        bar.empty()
        st.info(f"Not started: {exc}.", icon="⏳")
        return
    except (DatasetNotFoundError, OSError) as exc:
        bar.empty()
        st.error(f"The download failed. Whoever runs this server can put the four {name} files (train and t10k, "
                 "images and labels, as .gz or unpacked) into its data folder (MNIST_DATA_ROOT).", icon="⚠️")
        # The reason names the mirrors, never a server path (a file-system error shows only its kind).
        reason = exc.reason if isinstance(exc, DatasetNotFoundError) else exc.strerror
        reason = reason or "no mirror delivered the files"
        st.text(f"Reason: {reason}")
        return
    forget_dataset_images()
    st.rerun()
