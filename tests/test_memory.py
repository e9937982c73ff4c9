"""Freed memory goes back to the system where the C library allows it."""

import platform

import pytest

from bot import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_trims() -> None:
    assert memory.release_freed_memory()


def test_without_malloc_trim_it_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    memory._malloc_trim.cache_clear()
    monkeypatch.setattr(memory.ctypes.util, "find_library", lambda _name: None)
    try:
        assert not memory.release_freed_memory()
    finally:
        memory._malloc_trim.cache_clear()
