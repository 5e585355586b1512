"""The collector pause around bulk work (planner/core/memory.py)."""

import gc

from planner.core.memory import bulk_allocation


def test_the_collector_is_paused_inside_and_resumed_after_the_outermost_pause() -> None:
    assert gc.isenabled()
    with bulk_allocation():
        assert not gc.isenabled()
        with bulk_allocation():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause does not resume it
    assert gc.isenabled()


def test_objects_built_during_the_pause_are_kept_out_of_later_collections() -> None:
    frozen = gc.get_freeze_count()
    with bulk_allocation():
        built = [[i] for i in range(1000)]  # lists are always tracked (dicts of ints are not)
    assert gc.get_freeze_count() >= frozen + len(built)
    assert gc.isenabled()
