"""Memory of large plans: the cyclic garbage collector paused around bulk work (building or writing a
large plan), and dicts that share their key tables (the plan's many same-shaped dicts)."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of long-lived objects are built or walked.

    The model and plan are trees that reference counting frees on its own; with the collector on,
    every full collection walks the whole growing heap, which made a 50,000-app plan super-linear
    (docs/performance.md: 17.9 s -> 10.1 s CPU for run_plan, same peak memory), and cost the
    workbook writer a third of its time (24.6 s -> 17.5 s). Nested use is safe: only the outermost
    call turns the collector back on.

    The objects built meanwhile are frozen (`gc.freeze`: kept out of every later collection) before the
    collector resumes. Otherwise its first collection walks them all, millions on a large tenant: the
    plan's trees hold no reference cycles, so that walk finds nothing to free (a `gc.collect()` after the
    runbook of a 10,000-app plan freed 0 objects) and cost 4 % of the plan's time in a sampled profile.
    Reference counting still frees frozen objects as usual; only a reference cycle made inside the pause
    would now stay until the process ends, and the plan code makes none (the `gc.collect()` above).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


class KeyShared:
    """Base of the classes whose instances only lend their `__dict__` to `key_shared`: one subclass per
    dict shape (plan.json's step, context, target, ...), as the key table is shared per class."""


def key_shared(kind: type[KeyShared], values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` as a plain `dict` whose key table is shared with every other dict made with `kind`
    (PEP 412 key-sharing dictionaries: an instance's `__dict__`, filled attribute by attribute).

    It is a dict like any other: compared, encoded, read and changed as usual (a change the shared
    table cannot take gives it a table of its own). Only its size differs: a 25-key app context takes
    272 bytes instead of 832. CPython shares at most 30 keys; a larger dict is simply not smaller. The
    plan holds one such dict per app and per step: at 50,000 migration-heavy apps that is what brings
    the peak under 1.5 GB (docs/performance.md).
    """
    holder = kind()
    for key, value in values.items():
        setattr(holder, key, value)
    return holder.__dict__
