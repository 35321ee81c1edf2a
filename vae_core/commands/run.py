"""What every command-line entry point shares: user errors become one line, not a traceback."""
from __future__ import annotations

import sys
from collections.abc import Callable

from vae_core.data.datasets import DatasetNotFoundError
from vae_core.storage.checkpoint import CheckpointError


def run_cli(main: Callable[[], int | None]) -> None:
    """Run `main` and exit with its status (0 if it returns None); a bad checkpoint or a
    missing dataset prints `error: ...` and exits 2."""
    try:
        status = main()
    except (CheckpointError, DatasetNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    sys.exit(status or 0)
