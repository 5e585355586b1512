"""The wheel holds every package of planner/: a package missing from pyproject's list would make an
installed (non-editable) vnet-planner silently lose a format or fail to import."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "planner").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_every_shipped_template_matches_a_package_data_pattern() -> None:
    """templates/ is shipped as planner.templates: a file no pattern names (a new Bicep module, say) would
    be missing from an installed vnet-planner, and `--format bicep` would write wave files calling it."""
    import fnmatch

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["planner.templates"]
    shipped = [
        path.relative_to(ROOT / "templates").as_posix()
        for path in (ROOT / "templates").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.name != "__init__.py"
    ]
    assert any(name.startswith("bicep/") for name in shipped)
    missing = [name for name in shipped if not any(fnmatch.fnmatch(name, p) for p in patterns)]
    assert missing == [], "add a pattern for these to [tool.setuptools.package-data] planner.templates"
