"""Working days: which days work may be planned on (weekdays, public holidays, change freezes).

Waves, preparation tasks and the deadline's buffer are counted in working days of one
`WorkCalendar`. Public holidays come from the `holidays` package (maintained, per country and
subdivision: `--holidays DE-BY`); change freezes are the team's own (`--freeze 2026-12-21..2027-01-01`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from planner.core.errors import InputError
from planner.core.settings import Settings

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ONE = timedelta(days=1)
_HORIZON = 3660  # days a search may walk before the calendar is declared unworkable


@dataclass(frozen=True)
class Pause:
    """Working time a wave does not get: days off inside it other than its weekly rest days."""

    start: date
    end: date
    why: str  # "change freeze", "Christmas Day", ...

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "why": self.why}


@dataclass(frozen=True)
class WorkCalendar:
    """Weekdays that are worked, public holidays and change freezes."""

    workdays: frozenset[int] = frozenset(range(5))  # date.weekday(): Monday is 0
    holidays: Mapping[date, str] = field(default_factory=dict)
    freezes: tuple[tuple[date, date], ...] = ()
    holiday_source: str | None = None  # "DE-BY (holidays 0.109)"

    def why_not(self, day: date) -> str | None:
        """Why no work is planned on `day` (None: it is a working day)."""
        for start, end in self.freezes:
            if start <= day <= end:
                return "change freeze"
        if day.weekday() not in self.workdays:  # a holiday on a rest day costs no working day
            return DAY_NAMES[day.weekday()]
        if day in self.holidays:
            return self.holidays[day]
        return None

    def working(self, day: date) -> bool:
        return self.why_not(day) is None

    def on_or_after(self, day: date) -> date:
        """The first working day on or after `day`."""
        for _ in range(_HORIZON):
            if self.working(day):
                return day
            day += _ONE
        raise InputError(
            "--workdays", "no working day in ten years: check --workdays, --holidays and --freeze"
        )

    def after(self, day: date) -> date:
        """The first working day after `day`."""
        return self.on_or_after(day + _ONE)

    def span_end(self, start: date, days: int) -> date:
        """The last day of `days` working days that begin on the working day `start`."""
        day = self.on_or_after(start)
        for _ in range(days - 1):
            day = self.after(day)
        return day

    def before(self, day: date, days: int) -> date:
        """The working day `days` working days before `day` (`day` itself excluded)."""
        for _ in range(days):
            day -= _ONE
            for _ in range(_HORIZON):
                if self.working(day):
                    break
                day -= _ONE
        return day

    def count(self, start: date, end: date) -> int:
        """Working days from `start` to `end`, both included."""
        return sum(1 for day in days_between(start, end) if self.working(day))

    def pauses(self, start: date, end: date) -> list[Pause]:
        """Runs of days off inside [start, end] for a holiday or a freeze (weekly rest days are no pause)."""
        out: list[Pause] = []
        for day in days_between(start, end):
            why = self.why_not(day)
            if why is None or why in DAY_NAMES:
                continue
            if out and out[-1].why == why and self._only_rest_between(out[-1].end, day):
                out[-1] = Pause(out[-1].start, day, why)
            else:
                out.append(Pause(day, day, why))
        return out

    def _only_rest_between(self, a: date, b: date) -> bool:
        return all(self.why_not(day) in DAY_NAMES for day in days_between(a + _ONE, b - _ONE))

    def describe(self) -> dict[str, object]:
        """The calendar as plan.json records it (schedule.calendar)."""
        return {
            "workdays": [DAY_NAMES[d] for d in sorted(self.workdays)],
            "holidays": self.holiday_source,
            "freezes": [{"from": a.isoformat(), "to": b.isoformat()} for a, b in self.freezes],
        }


def days_between(start: date, end: date) -> Iterator[date]:
    """Every day from `start` to `end`, both included."""
    day = start
    while day <= end:
        yield day
        day += _ONE


def calendar_of(settings: Settings, first_year: int, last_year: int) -> WorkCalendar:
    """The calendar the settings describe; holidays for the years the schedule may touch."""
    holidays: dict[date, str] = {}
    source = None
    if settings.holidays:
        holidays, source = _public_holidays(settings.holidays, range(first_year, last_year + 1))
    return WorkCalendar(frozenset(settings.workdays), holidays, settings.freezes, source)


def _public_holidays(code: str, years: range) -> tuple[dict[date, str], str]:
    import holidays as holidays_package  # imported only when asked for: it loads many country modules

    country, _, subdivision = code.partition("-")
    try:
        found = holidays_package.country_holidays(
            country.upper(), subdiv=subdivision.upper() or None, years=years, language="en_US"
        )
    except NotImplementedError as exc:
        what = "country code" if "country" in str(exc).lower() or not subdivision else "subdivision"
        raise InputError(
            "--holidays", f"unknown {what} '{code}' (ISO 3166 country, optionally -SUBDIVISION, e.g. DE-BY)"
        ) from None
    version = getattr(holidays_package, "__version__", "?")
    return {day: str(name) for day, name in sorted(found.items())}, f"{code.upper()} (holidays {version})"
