"""Give the memory a large request freed back to the operating system.

glibc's allocator keeps freed heap pages for reuse, so after one import that read a
20 MB GeoJSON (GDAL's JSON tree, ≈ 260 MB) or one photo decoded at 40 megapixels a worker
stayed that much bigger for the rest of its life: freeing is not returning.
`malloc_trim(0)` hands every whole free page back (all arenas, glibc ≥ 2.8), measured
419 → 164 MB after such a read. It costs about a millisecond, so it runs only after the
routes that read big inputs (`dependencies=[GIVE_MEMORY_BACK]`), never per request.
Elsewhere than glibc (musl, macOS) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from typing import Any

from fastapi import Depends

_libc: Any = None
_name = ctypes.util.find_library("c")
if _name:
    try:
        _libc = ctypes.CDLL(_name)
        _libc.malloc_trim  # noqa: B018 - glibc only; AttributeError elsewhere
    except (OSError, AttributeError):
        _libc = None


def give_memory_back() -> None:
    """Return free heap pages to the OS (glibc), else nothing."""
    if _libc is not None:
        _libc.malloc_trim(0)


def _after_request() -> Iterator[None]:
    yield
    give_memory_back()


GIVE_MEMORY_BACK = Depends(_after_request)
"""A route dependency: the route's memory given back once its answer is made."""
