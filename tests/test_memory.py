"""The collector pause around bulk work (planner/core/memory.py)."""

import gc
import sys

import orjson

from planner.core.memory import KeyShared, bulk_allocation, key_shared


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


class _Shape(KeyShared):
    pass


def test_a_key_shared_dict_is_an_ordinary_dict_only_smaller() -> None:
    values = {f"field_{i}": i for i in range(25)}
    first = key_shared(_Shape, values)
    second = key_shared(_Shape, {**values, "field_0": "changed"})
    assert type(first) is dict and first == values and list(first) == list(values)
    assert orjson.dumps(first) == orjson.dumps(values)
    assert second["field_0"] == "changed" and first["field_0"] == 0  # each holds its own values
    assert sys.getsizeof(first) < sys.getsizeof(dict(values)) / 2  # the keys are held once, by the class
    first["added"] = True  # a key the shared table lacks: still a dict that takes it
    assert first["added"] is True and len(first) == 26
