"""Pause Python's cyclic garbage collector around work that allocates millions of objects and no
reference cycles (validating a snapshot, a query over it). The collector would re-scan the ever larger
heap of live objects again and again: loading a 10k access point snapshot took three times as long with
it running. Reference counting still frees everything; the caller's setting is restored."""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
