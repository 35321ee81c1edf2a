"""Loaded models kept in a server's memory, bounded by their bytes rather than by their number.

    models = BytesBoundedCache(600 * 2**20)
    models.get(key) or models.put(key, loaded, nbytes)

A cache bounded by entries holds six small models or six 96 MB ones alike; bounding the
bytes keeps many small models warm and still caps what large files can take.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

MIN_ENTRY_BYTES = 64 * 1024  # even a refusal (a short string) counts this much, so entries are bounded too


class BytesBoundedCache:
    """Least recently used values whose total size stays within `budget` bytes; safe from any thread.

    A value larger than the budget is still kept (the page that asked for it needs it), alone."""

    def __init__(self, budget: int) -> None:
        self.budget = int(budget)
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[Hashable, threading.Lock] = {}

    def loading(self, key: Hashable) -> threading.Lock:
        """A lock for `key` alone: hold it while loading, so that callers asking at once load the value once."""
        with self._lock:
            return self._loading.setdefault(key, threading.Lock())

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key][0]

    def put(self, key: Hashable, value: Any, nbytes: int) -> None:
        with self._lock:
            self._entries[key] = (value, max(int(nbytes), MIN_ENTRY_BYTES))
            self._entries.move_to_end(key)
            while self.nbytes > self.budget and len(self._entries) > 1:
                gone, _ = self._entries.popitem(last=False)
                self._loading.pop(gone, None)

    @property
    def nbytes(self) -> int:
        return sum(size for _, size in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)
