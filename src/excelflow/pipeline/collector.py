"""Python's cyclic garbage collector, paused while a door reads and checks a big workbook."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused (when it runs) for the block.

    Reading a workbook creates a great many long-lived objects: python-calamine's row lists
    (100,000 of them at 100k deals), openpyxl's cells and styles (a million at 10,000 deals). The
    collector would walk them again and again (``annotate``: ~1 s of 10 on 10,000 deals;
    ``validate``: a full collection of ~0.1 s during the read at 100,000 deals and ~0.2 s in all).
    Nothing a read or a check builds makes cyclic garbage worth collecting early; plain
    reference counting still frees everything else. Re-enabled after, also on an error; left
    alone when someone else had paused it."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
