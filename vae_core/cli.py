"""What every command-line entry point shares: user errors become one line, not a traceback."""
from __future__ import annotations

import sys
from typing import Callable

from vae_core.checkpoint import CheckpointError
from vae_core.data import DatasetNotFoundError


def run_cli(main: Callable[[], None]) -> None:
    """Run `main`; a bad checkpoint or a missing dataset prints `error: ...` and exits 2."""
    try:
        main()
    except (CheckpointError, DatasetNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
