"""auditor.model.heap.give_back: freed heap pages go back to the system where the C library can do it."""

from __future__ import annotations

import sys

import pytest

from auditor.model import heap


def _rss_mib() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 // 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux") or heap._trim() is None, reason="glibc only")
def test_freed_blocks_between_live_ones_leave_the_resident_size():
    """Blocks of 1 KB (the C allocator's, not Python's small-object arenas) with every 64th kept alive:
    after they are freed the pages between the survivors stay resident until give_back."""
    blocks = [bytes(1000) + bytes([i % 251]) for i in range(300_000)]  # about 300 MB
    keep = blocks[::64]
    del blocks
    before = _rss_mib()
    assert heap.give_back() is True
    after = _rss_mib()
    assert before - after > 100, (before, after)
    assert len(keep) == 4688


def test_elsewhere_it_says_it_could_not(monkeypatch):
    monkeypatch.setattr(heap, "_trim", lambda: None)
    assert heap.give_back() is False
