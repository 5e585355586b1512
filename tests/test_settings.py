"""Settings: one object for every plan option, written to plan.json and read back."""

from __future__ import annotations

from datetime import date

import pytest

from planner.core.errors import InputError
from planner.core.settings import Settings


def test_round_trip_keeps_every_field() -> None:
    s = Settings(
        as_of=date(2026, 12, 1), start=date(2027, 1, 4), wave_days=3, wave_size=7, prices="p.json",
        include=("rg:a*",), exclude=("tag:env=dev",), suppressions="s.yaml", redact=True, html_split="site",
    )  # fmt: skip
    assert Settings.from_dict(s.as_dict(), "plan.json") == s


def test_missing_settings_are_the_defaults_and_unknown_keys_are_ignored() -> None:
    assert Settings.from_dict(None, "plan.json") == Settings()
    assert Settings.from_dict({"wave_days": 4, "added_later": 1}, "plan.json") == Settings(wave_days=4)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"as_of": "29/11/2026"}, "settings.as_of"),
        ({"wave_size": True}, "settings.wave_size"),
        ({"include": "rg:x"}, "settings.include"),
        ({"redact": "yes"}, "settings.redact"),
        ({"prices": 3}, "settings.prices"),
        ({"wave_days": 0}, "settings"),
        ({"html_split": "pages"}, "settings"),
        ([], "settings"),
    ],
)
def test_bad_values_name_the_field(data: object, field: str) -> None:
    with pytest.raises(InputError) as caught:
        Settings.from_dict(data, "old/plan.json")
    assert caught.value.file == "old/plan.json" and caught.value.field == field
