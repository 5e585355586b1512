"""Pausing the cyclic garbage collector around bulk work (building or writing a large plan)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of long-lived objects are built or walked.

    The model and plan are trees that reference counting frees on its own; with the collector on,
    every full collection walks the whole growing heap, which made a 50,000-app plan super-linear
    (docs/performance.md: 17.9 s -> 10.1 s CPU for run_plan, same peak memory), and cost the
    workbook writer a third of its time (24.6 s -> 17.5 s). Nested use is safe: only the outermost
    call turns the collector back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
