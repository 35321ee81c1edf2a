"""Where things live, decided once for the app, the CLIs, the benches, the docs scripts and the tests.

    MNIST_DATA_ROOT          folder holding MNIST/raw (and FashionMNIST/raw); default <repo>/../shared/data
    LATENT_EXPLORER_MODELS   folder of checkpoints and latent caches; default <repo>/models
    LATENT_EXPLORER_*        what a server lets its visitors spend (ServingLimits) and do (AccessRules)

The defaults hang off the repository, not the working directory, so a command
run from any folder finds the same files.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def data_root() -> Path:
    """$MNIST_DATA_ROOT, else <repo>/../shared/data."""
    return Path(os.environ.get("MNIST_DATA_ROOT") or REPO.parent / "shared" / "data")


def models_dir() -> Path:
    """$LATENT_EXPLORER_MODELS, else <repo>/models."""
    return Path(os.environ.get("LATENT_EXPLORER_MODELS") or REPO / "models")


@dataclass(frozen=True)
class ServingLimits:
    """What one server lets its visitors spend, set by the operator in the environment (README, "Serving it to
    others"); the defaults suit a public server on a two-core machine.

    LATENT_EXPLORER_MAX_RUN_MINUTES   a run whose estimate exceeds this is refused before it starts (15)
    LATENT_EXPLORER_RUN_TIME_LIMIT    minutes after which any run is stopped, nothing written (30)
    LATENT_EXPLORER_MAX_TRAINED       trained models the folder may hold before a new run is refused (20)
    LATENT_EXPLORER_MAX_TRAINED_MB    their total size in MB before a new run is refused (500)
    LATENT_EXPLORER_MODEL_MEMORY_MB   loaded models kept in memory, by their files' size; least recently used go (600)
    """

    max_run_minutes: float = 15.0
    run_time_limit_minutes: float = 30.0
    max_trained_models: int = 20
    max_trained_mb: float = 500.0
    model_memory_mb: float = 600.0


_LIMIT_VARIABLES = {"max_run_minutes": "LATENT_EXPLORER_MAX_RUN_MINUTES",
                    "run_time_limit_minutes": "LATENT_EXPLORER_RUN_TIME_LIMIT",
                    "max_trained_models": "LATENT_EXPLORER_MAX_TRAINED",
                    "max_trained_mb": "LATENT_EXPLORER_MAX_TRAINED_MB",
                    "model_memory_mb": "LATENT_EXPLORER_MODEL_MEMORY_MB"}


def serving_limits() -> ServingLimits:
    """The limits from the environment; a value that is not a positive number is an operator's error, said plainly."""
    values = {}
    for field_name, variable in _LIMIT_VARIABLES.items():
        text = os.environ.get(variable)
        if not text:
            continue
        kind = int if field_name == "max_trained_models" else float
        try:
            value = kind(text)
        except ValueError:
            value = -1
        if not value > 0 or value == float("inf"):
            raise ValueError(f"{variable} must be a positive {'whole ' if kind is int else ''}number, got {text!r}")
        values[field_name] = value
    limits = ServingLimits(**values)
    if limits.run_time_limit_minutes < limits.max_run_minutes:  # runs it accepts would be stopped unfinished
        raise ValueError("LATENT_EXPLORER_RUN_TIME_LIMIT must be at least LATENT_EXPLORER_MAX_RUN_MINUTES "
                         f"({limits.run_time_limit_minutes:g} < {limits.max_run_minutes:g})")
    return limits


WHO = ("off", "everyone", "signed-in", "admins")


@dataclass(frozen=True)
class AccessRules:
    """Who may train and who may delete on this server, set by the operator in the environment.

    LATENT_EXPLORER_TRAINING   off | everyone | signed-in | admins     (everyone)
    LATENT_EXPLORER_DELETING   off | everyone | signed-in | admins     (everyone: each their own models)
    LATENT_EXPLORER_ADMINS     comma-separated e-mail addresses of signed-in admins (none)

    A run and the models it saved belong to whoever started it (a signed-in account, else the browser);
    only its owner or an admin may cancel or delete them. "signed-in" and "admins" need Streamlit's sign-in
    (an [auth] section in .streamlit/secrets.toml); without it they mean no one.
    """

    training: str = "everyone"
    deleting: str = "everyone"
    admins: tuple[str, ...] = ()


def access_rules() -> AccessRules:
    """The rules from the environment; a value outside WHO is an operator's error, said plainly."""
    values = {}
    for field_name, variable in (("training", "LATENT_EXPLORER_TRAINING"), ("deleting", "LATENT_EXPLORER_DELETING")):
        text = os.environ.get(variable, "").strip().lower()
        if text and text not in WHO:
            raise ValueError(f"{variable} must be one of {', '.join(WHO)}, got {text!r}")
        if text:
            values[field_name] = text
    admins = os.environ.get("LATENT_EXPLORER_ADMINS", "")
    values["admins"] = tuple(sorted({a.strip().lower() for a in admins.split(",") if a.strip()}))
    return AccessRules(**values)
