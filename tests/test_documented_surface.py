"""The documented surface (issue 17, item 8): the README's route table is the app's routes, every environment
variable the code reads is in the README, and ``jiuzhu --version`` answers."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from starlette.routing import Mount, Route

from api.app import create_app
from api.cli import main
from tests.conftest import settings_for
from tests.servers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README's ``## title`` section."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def route_table() -> dict[str, str]:
    """Documented path → its method cell."""
    rows: dict[str, str] = {}
    for line in section("HTTP routes").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].startswith("`/"):
            rows[cells[0].strip("`").removesuffix("…").rstrip("/")] = cells[1]
    return rows


def test_every_route_is_in_the_readme_and_nothing_else() -> None:
    app = create_app(settings_for("sqlite://:memory:"))  # development: with GraphiQL and its assets
    documented = route_table()
    served: set[str] = set()
    for route in app.routes:
        assert isinstance(route, Route | Mount)
        served.add(route.path)
        assert route.path in documented, f"{route.path} is missing from README's route table"
        methods = (getattr(route, "methods", None) or {"GET"}) - {"HEAD"}
        for method in methods:
            assert method in documented[route.path], f"{route.path}: {method} is not documented"
    assert set(documented) == served, f"README documents routes the app does not serve: {set(documented) - served}"


def test_every_environment_variable_is_documented() -> None:
    read: set[str] = set()
    pattern = re.compile(r"""(?:environ\.get|getenv|environ\[|_int)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")
    for package in ("api", "models", "policies", "schema", "seeds", "tests"):
        for path in (ROOT / package).rglob("*.py"):
            read.update(pattern.findall(path.read_text(encoding="utf-8")))
    assert {"DATABASE_URL", "JIUZHU_CORS_ORIGINS", "JIUZHU_DATA_KEY"} <= read
    undocumented = sorted(name for name in read if f"`{name}`" not in README)
    assert not undocumented, f"not in README: {undocumented}"


def test_version_flag_prints_the_package_version() -> None:
    expected = f"jiuzhu {version('jiuzhu')}"
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "--version"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == expected
    assert re.fullmatch(r"jiuzhu \d+\.\d+\.\d+.*", expected)


def test_version_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"jiuzhu {version('jiuzhu')}"


def test_graphiql_assets_are_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'api = ["static/graphiql/*/*"]' in pyproject
    assert all(len(p.relative_to(ROOT / "api" / "static" / "graphiql").parts) == 2 for p in _files())


def _files() -> list[Path]:
    return [p for p in (ROOT / "api" / "static" / "graphiql").rglob("*") if p.is_file()]
