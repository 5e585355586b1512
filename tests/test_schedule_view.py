"""The schedule view every renderer reads (planner/render/schedule.py): waves -> plans -> apps ->
steps, gateways per wave; nothing a plan holds is dropped."""

from __future__ import annotations

from typing import Any

from test_runbook import make_app, make_gateway, make_plan, settings

from planner.render.schedule import schedule_of
from planner.runbook.apply import apply_runbook


def planned(apps: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    plan = make_plan(apps)
    apply_runbook(plan, settings(**kw))
    return plan


def test_waves_group_apps_by_plan_in_the_order_they_move_and_gateways_after() -> None:
    apps = [make_app("a1", plan="asp-a"), make_app("a2", plan="asp-a"), make_app("b1", plan="asp-b")]
    plan = planned(apps, max_apps_per_wave=2)
    view = schedule_of(plan)
    assert [w.number for w in view.waves] == [w["number"] for w in plan["waves"]]
    for wave, listed in zip(view.waves, plan["waves"], strict=True):
        assert [a["id"] for a in wave.apps] == listed["app_ids"]
        assert [g["id"] for g in wave.gateways] == listed["gateway_ids"]
        assert [a for group in wave.plans for a in group.apps] == list(wave.apps)
        assert len({group.plan_id for group in wave.plans}) == len(wave.plans)
        assert str(wave.end) == listed["end"]
    first = view.waves[0]
    assert [g.name for g in first.plans] == ["asp-a"] and first.readiness == {"ready": 2}
    assert first.steps == sum(len(a["steps"]) for a in first.apps)
    assert view.wave_end(first.number) == first.end and view.wave_end(None) is None


def test_work_the_wave_list_does_not_name_is_kept_in_a_last_unscheduled_wave() -> None:
    plan = planned([make_app("a1"), make_app("b1", plan="asp-b")])
    stray = plan["apps"][1]
    for wave in plan["waves"]:
        wave["app_ids"] = [i for i in wave["app_ids"] if i != stray["id"]]
    stray["wave"] = None
    gateway = make_gateway("vgw-other", [])
    gateway["steps"] = [{"order": 1, "phase": "keep", "title": "Keep"}]
    plan["gateways"].append(gateway)
    view = schedule_of(plan)
    last = view.waves[-1]
    assert last.number is None and last.key == "none"
    assert [a["name"] for a in last.apps] == ["b1"] and [g["name"] for g in last.gateways] == ["vgw-other"]
    seen = [a["id"] for w in view.waves for a in w.apps]
    assert sorted(seen) == sorted(a["id"] for a in plan["apps"]) and len(seen) == len(set(seen))


def test_an_app_naming_a_wave_the_list_lacks_gets_that_wave() -> None:
    plan = planned([make_app("a1")])
    plan["waves"] = []
    view = schedule_of(plan)
    assert [w.number for w in view.waves] == [1, 2]
    assert [a["name"] for a in view.waves[0].apps] == ["a1"]
    assert view.waves[0].start is None


def test_partition_gives_each_page_what_only_gives_it() -> None:
    apps = [make_app(f"a{i}", plan=f"asp-{i % 3}") for i in range(9)]
    plan = planned(apps, max_apps_per_wave=3)
    view = schedule_of(plan)
    ids = [str(a["id"]).lower() for a in plan["apps"]]
    gateways = [str(g["id"]).lower() for g in plan["gateways"]]
    page_of = {i: ("p1" if n % 2 else "p2") for n, i in enumerate(ids)} | {g: "p1" for g in gateways}
    parts = view.partition(page_of)
    for page in ("p1", "p2"):
        mine = {i for i, p in page_of.items() if p == page}
        expected = view.only(mine & set(ids), mine & set(gateways))
        assert parts[page].waves == expected.waves
