"""Shared Streamlit helpers for the Latent Explorer pages (`import explorer_ui as ui`; the model math is in vae_core).

Submodules: loading (cached loaders, `Loaded`, encoding), measures (prior verdicts, test terms, summaries),
navigation (pages), kept_uploads (uploads for the map), link (parsing) and params
(link, sidebar, state), images, plots, dataset (download offer), training (the Train page's slot, deletion),
text (plain text for Markdown).
"""
from __future__ import annotations

# CheckpointError and ImageDecodeError are re-exported for the pages: `except ui.ImageDecodeError`.
from vae_core.storage.checkpoint import CheckpointError
from vae_core.storage.settings import REPO, data_root, models_dir
from vae_core.uploads.preprocess import ImageDecodeError

from .access import Visitor, ask_the_browser, may_cancel, may_delete, sign_in_available, visitor, why_not_train
from .dataset import offer_dataset_download
from .images import (
    DIGIT_PX,
    UPLOAD_TYPES,
    download_png,
    gray_image,
    mosaic_strip,
    png_bytes,
    show_digit,
    show_mosaic,
    tinted_mosaic,
    to_uint8,
    upscale,
    with_box,
)
from .kept_uploads import MAX_KEPT, KeptUpload, clear_uploads, is_kept, keep_encoded, keep_upload, kept_uploads
from .link import format_z, region_shapes
from .loading import (
    AE_MODEL,
    DEFAULT_MODEL,
    VAE_MODEL,
    Encoded,
    Loaded,
    dataset_images,
    describe_model,
    encode_bytes,
    encode_digit,
    file_stamp,
    has_dataset,
    list_models,
    load,
    load_or_error,
    train_latents,
    try_load,
)
from .measures import (
    PRIOR_SAMPLES,
    classify,
    decoder_stretch,
    geodesic,
    group_by_recipe,
    misplaced,
    prior_verdict,
    test_terms,
)
from .navigation import PAGE_CONFIG, navigation, page
from .params import (
    forget_on_model_change,
    init_state,
    param_choice,
    param_number,
    param_region,
    param_z,
    seed_button,
    set_params,
    sidebar_model,
)
from .plots import (
    DIGIT_COLORS,
    MODEBAR_PX,
    add_ellipses,
    add_image,
    add_label_legend,
    add_label_traces,
    add_marker,
    add_means_raster,
    add_prior_circles,
    history_figure,
    ink,
    map_figure,
    means_raster,
    square_chart,
    stretch_heatmap,
    union_extent,
)
from .text import plain, plural
from .training import SHIPPED_MODELS, delete_model, trained_models, training_jobs

__all__ = [
    "plain", "plural",
    "MAX_KEPT", "KeptUpload", "clear_uploads", "is_kept", "keep_encoded", "keep_upload", "kept_uploads",
    "AE_MODEL", "DEFAULT_MODEL", "DIGIT_COLORS", "MODEBAR_PX", "DIGIT_PX", "REPO", "UPLOAD_TYPES", "VAE_MODEL",
    "CheckpointError", "Encoded", "ImageDecodeError", "Loaded",
    "data_root", "encode_bytes", "encode_digit", "file_stamp", "list_models", "load", "load_or_error", "try_load",
    "PRIOR_SAMPLES", "classify", "decoder_stretch", "describe_model", "geodesic", "group_by_recipe", "misplaced",
    "prior_verdict",
    "test_terms",
    "models_dir", "train_latents", "dataset_images", "has_dataset", "offer_dataset_download",
    "SHIPPED_MODELS", "delete_model", "trained_models", "training_jobs",
    "Visitor", "ask_the_browser", "may_cancel", "may_delete", "sign_in_available", "visitor", "why_not_train",
    "PAGE_CONFIG", "page", "format_z", "region_shapes",
    "forget_on_model_change", "init_state", "navigation", "param_choice", "param_number",
    "param_region", "param_z", "seed_button", "set_params",
    "sidebar_model",
    "download_png", "gray_image", "mosaic_strip", "png_bytes", "show_digit", "show_mosaic", "tinted_mosaic", "to_uint8",
    "upscale", "with_box",
    "add_ellipses", "add_image", "add_label_legend", "add_label_traces", "add_marker", "add_means_raster",
    "add_prior_circles", "history_figure", "ink", "map_figure", "means_raster", "square_chart", "stretch_heatmap",
    "union_extent",
]
