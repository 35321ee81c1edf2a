"""Shared Streamlit helpers for the Latent Explorer pages (`import explorer_ui as ui`; the model math is in vae_core).

Submodules: loading (cached loaders, `Loaded`), encoding (uploads encoded), home_map (the home map's payloads), measures (prior
verdicts, test terms, summaries), navigation (pages), kept_uploads (uploads for the map), link (parsing) and
params (link, sidebar, state), images, plots, dataset (download offer), training (the Train page's slot,
deletion), text (plain text for Markdown).

Each name is imported from its submodule when a page first uses it (PEP 562): the home map's first view
touches only the light ones, so a fresh server shows it without importing torch, scipy or plotly.
"""
from __future__ import annotations

import importlib

# A function named like its module must be bound here: importing a submodule sets the package's attribute
# of that name to the module. These two modules are light (no torch, scipy or plotly).
from .kept_uploads import MAX_KEPT, KeptUpload, clear_uploads, is_kept, keep_encoded, keep_upload, kept_uploads
from .navigation import PAGE_CONFIG, navigation, page

_SOURCES = {
    "vae_core.storage.checkpoint": ["CheckpointError"],
    "vae_core.storage.settings": ["REPO", "data_root", "models_dir"],
    # re-exported for the pages: `except ui.ImageDecodeError`
    "vae_core.uploads.preprocess": ["ImageDecodeError"],
    ".access": ["Visitor", "ask_the_browser", "may_cancel", "may_delete", "sign_in_available", "visitor", "why_not_train"],
    ".dataset": ["offer_dataset_download"],
    ".images": ["DIGIT_PX", "UPLOAD_TYPES", "download_png", "gray_image", "mosaic_strip", "png_bytes", "show_digit",
                "show_mosaic", "tinted_mosaic", "to_uint8", "upscale", "with_box"],
    ".link": ["format_z", "region_shapes"],
    ".loading": ["AE_MODEL", "DEFAULT_MODEL", "VAE_MODEL", "Loaded", "dataset_images", "describe_model",
                 "file_stamp", "has_dataset", "list_models", "load", "load_or_error", "train_latents", "try_load"],
    ".encoding": ["STROKE_WORDS", "Encoded", "encode_bytes", "encode_digit", "exact_posterior"],
    ".home_map": ["map_data", "warm_up"],
    ".measures": ["PRIOR_SAMPLES", "classify", "decoder_stretch", "geodesic", "group_by_recipe",
                  "prior_verdict", "test_terms"],
    ".params": ["forget_on_model_change", "init_state", "param_choice", "param_number", "param_region", "param_z",
                "seed_button", "set_params", "sidebar_model"],
    ".plots": ["DIGIT_COLORS", "MODEBAR_PX", "add_ellipses", "add_exact_posterior", "add_image", "add_label_legend",
               "add_label_traces", "add_marker", "add_means_raster", "add_prior_circles", "history_figure", "ink",
               "map_figure", "means_raster", "square_chart", "stretch_heatmap", "union_extent"],
    ".text": ["plain", "plural"],
    ".training": ["SHIPPED_MODELS", "delete_model", "trained_models", "training_jobs"],
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}
__all__ = ["MAX_KEPT", "KeptUpload", "clear_uploads", "is_kept", "keep_encoded", "keep_upload", "kept_uploads",
           "PAGE_CONFIG", "navigation", "page"]
__all__ += sorted(_MODULE_OF)


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # the next use is a plain lookup
    return value


def __dir__() -> list[str]:
    return __all__

