"""Calendar renderer (`--format ics`): the waves, the preparation of blocked apps, the gateway
clean-ups and the deadline as all-day events, for Outlook, Teams or any iCalendar client (RFC 5545,
written with the `icalendar` package).

Events keep the same UID from one plan to the next (plan subject + wave number, app + code), so a
re-imported calendar updates events instead of doubling them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from icalendar import Calendar, Event

from planner.core.files import replacing
from planner.render.common import as_date
from planner.render.schedule import Schedule, schedule_of

PRODID = "-//vnet-planner//migration schedule//EN"
ONE_DAY = dt.timedelta(days=1)


def _uid(*parts: Any) -> str:
    digest = hashlib.sha256("|".join(str(p).lower() for p in parts).encode("utf-8")).hexdigest()[:24]
    return f"{digest}@vnet-planner"


def _event(
    uid: str, summary: str, first: dt.date, last: dt.date, description: str, stamp: dt.datetime
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", first)
    event.add("dtend", last + ONE_DAY)  # all-day events end on the day after (RFC 5545 3.6.1)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")  # a plan, not a meeting: does not block the attendees' time
    return event


def build_calendar(plan: Mapping[str, Any], schedule: Schedule | None = None) -> Calendar:
    """The plan's schedule as an iCalendar object."""
    schedule = schedule or schedule_of(plan)
    generated = str(plan.get("generated_at") or "")
    try:
        stamp = dt.datetime.fromisoformat(generated).astimezone(dt.UTC)
    except ValueError:
        stamp = dt.datetime.now(dt.UTC)
    tenant = str(
        (plan.get("inventory") or {}).get("tenant_id") or (plan.get("inventory") or {}).get("path") or ""
    )
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "VNet integration migration")
    for wave in schedule.scheduled:
        if not (wave.start and wave.end):
            continue
        lines = [f"{len(wave.apps)} app(s) in {len(wave.plans)} App Service plan(s)."]
        lines += [
            f"- {group.name}: " + ", ".join(str(a.get("name")) for a in group.apps) for group in wave.plans
        ]
        if wave.gateways:
            lines.append(
                "Gateway clean-up: " + ", ".join(schedule.gateway_name(g.get("id")) for g in wave.gateways)
            )
        for pause in wave.pauses:
            lines.append(f"Pauses {pause.get('from')} to {pause.get('to')} ({pause.get('why')}).")
        if wave.waits_for_preparation:
            lines.append("Starts when the preparation of its blocked apps is done.")
        kind = "Gateway clean-up" if not wave.apps else "Migration"
        calendar.add_component(
            _event(
                _uid(tenant, "wave", wave.number),
                f"{kind} wave {wave.number}: {wave.short_name}".rstrip(": "),
                wave.start,
                wave.end,
                "\n".join(lines),
                stamp,
            )
        )
        for app in wave.apps:
            for task in app.get("preparation") or ():
                first, last = as_date(task.get("start_by")), as_date(task.get("needed_by"))
                if not (first and last) or last < first:
                    continue
                calendar.add_component(
                    _event(
                        _uid(tenant, "prep", app.get("id"), task.get("code")),
                        f"Preparation: {task.get('code')} for {app.get('name')}",
                        first,
                        last,
                        f"{task.get('title')}: {task.get('lead_days')} working days. Start by {first}, done by "
                        f"{last}, before wave {wave.number} starts on {wave.start}.",
                        stamp,
                    )
                )
    retirement = as_date(plan.get("retirement_date"))
    if retirement:
        calendar.add_component(
            _event(
                _uid(tenant, "retirement"),
                "Gateway-required VNet integration retires",
                retirement,
                retirement,
                "Apps still on gateway-required integration lose their VNet connection; SSTP point-to-site stops.",
                stamp,
            )
        )
    buffer = as_date((plan.get("schedule") or {}).get("deadline_with_buffer"))
    if buffer and buffer != retirement:
        calendar.add_component(
            _event(
                _uid(tenant, "buffer"),
                "Migration should be done (buffer before the retirement date starts)",
                buffer,
                buffer,
                "The working days after this are kept free for what goes wrong.",
                stamp,
            )
        )
    return calendar


def write_ics(plan: dict[str, Any], path: Path, schedule: Schedule | None = None) -> None:
    """Write `schedule.ics` atomically."""
    data = build_calendar(plan, schedule).to_ical()
    with replacing(path) as tmp:
        tmp.write_bytes(data)
