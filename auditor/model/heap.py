"""Give the memory a large parse or serialisation freed back to the system.

Validating a snapshot (pydantic-core parses the whole JSON document before building the models) and
serialising it for its digest allocate hundreds of MB through the C library's allocator and free them again.
glibc keeps freed pages that lie between live blocks mapped, so the process's resident size stayed at its
high-water mark: at 100k access points 360 MB more than the loaded snapshot needs, which every later stage
of the run then carried on top of its own peak. ``malloc_trim(0)`` returns those whole free pages (tens of
milliseconds). Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache


@cache
def _trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


def give_back() -> bool:
    """Return freed heap pages to the system; False where the C library cannot."""
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True
