"""docs/configuration.md documents every setting and every secret the code has."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from rollcall.config import Settings
from rollcall.preflight import OPTIONAL_SECRETS, SECRET_SPECS, SECRETS

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "configuration.md"
ROW = re.compile(r"^\| `(\w+)` \| `([A-Z0-9_<>]+)` \| ([^|]*) \|", re.M)


def documented() -> dict[str, tuple[str, str]]:
    return {
        name: (variable, default.strip())
        for name, variable, default in ROW.findall(DOC.read_text())
    }


def test_every_setting_in_code_is_documented_with_its_variable():
    rows = documented()
    missing = [f.name for f in fields(Settings) if f.name not in rows]
    assert missing == [], f"add these settings to docs/configuration.md: {missing}"
    for f in fields(Settings):
        variable = rows[f.name][0]
        expected = (
            f"ROLLCALL_{f.name.upper()}"
            if not isinstance(f.default, type(None))
            and f.name not in ("database_urls", "metrics_ports")
            else variable
        )
        assert variable == expected, f.name
    assert rows["database_urls"][0] == "ROLLCALL_DATABASE_URL_<SERVICE>"
    assert rows["metrics_ports"][0] == "ROLLCALL_METRICS_PORT_<SERVICE>"


def test_documented_defaults_are_the_defaults_in_code():
    rows = documented()
    for f in fields(Settings):
        default = getattr(Settings(), f.name)
        if isinstance(default, dict) or default == "":
            continue
        if isinstance(default, tuple):
            shown = ",".join(f"{d:g}" for d in default)
        elif isinstance(default, float):
            shown = f"{default:g}"
        else:
            shown = f"{default}"
        assert rows[f.name][1] == f"`{shown}`", f.name


def test_no_setting_is_documented_that_the_code_does_not_have():
    names = {f.name for f in fields(Settings)}
    assert set(documented()) - names == set()


def test_every_secret_is_documented_with_the_services_that_use_it():
    text = DOC.read_text()
    for name in SECRET_SPECS:
        users = ", ".join(
            s for s, names in SECRETS.items() if name in names + OPTIONAL_SECRETS.get(s, ())
        )
        assert f"| `{name}` | {users} |" in text, name
