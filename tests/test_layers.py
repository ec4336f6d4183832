"""Imports run one way: villages (the foundation) <- handbook <- points <- store <- office and demo.

Every module of a lower app is parsed with `ast`, and every import in it — at the top, inside a
function or under TYPE_CHECKING — is checked against the apps above it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# app -> the apps it must never import
ABOVE = {
    "villages": {"handbook", "points", "store", "office", "demo"},
    "handbook": {"points", "store", "office", "demo"},
    "points": {"store", "office", "demo"},
    "store": {"office", "demo"},
}


def upward_imports(source: str, app: str) -> list[str]:
    """The modules imported by `source` that belong to an app above `app`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [name for name in names if name.split(".")[0] in ABOVE[app]]
    return found


def _modules(app: str) -> list[Path]:
    return sorted(path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts)


@pytest.mark.parametrize("app", sorted(ABOVE))
def test_no_module_imports_an_app_above_its_own(app):
    offences = {
        str(path.relative_to(ROOT)): names
        for path in _modules(app)
        if (names := upward_imports(path.read_text(encoding="utf-8"), app))
    }
    assert offences == {}


def test_it_sees_an_upward_import_inside_a_function():
    source = "def dashboard():\n    from office.dashboard import build_dashboard\n    import demo.loader\n"
    assert upward_imports(source, "points") == ["office.dashboard", "demo.loader"]
    assert upward_imports("from points.models import Entry\n", "handbook") == ["points.models"]
    assert upward_imports("from villages.models import Village\n", "handbook") == []
