"""The one-way import order between web's features (docs/architecture.md, "Feature order").

The order is an import-linter contract in pyproject.toml: a lower feature never imports a
higher one, not even inside a function; it lets higher features act through its blinker
signals. These tests run that check, pin the decided order so it cannot be loosened
quietly, and import every feature alone in a fresh interpreter (an import cycle shows only
when the import starts there, not after ``create_app`` has loaded everything).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"

FEATURE_ORDER = [  # highest first; "|" = siblings that must not import each other
    "liveday | results | printing | public",
    "checkin",
    "schedules",
    "mail",
    "attendees",
    "events",
    "api",
    "auth",
    "jobs",
]
FEATURES = sorted(name.strip() for layer in FEATURE_ORDER for name in layer.split("|"))


def _contracts() -> list[dict]:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def test_every_feature_package_is_in_the_order() -> None:
    packages = sorted(p.parent.name for p in (ROOT / "web").glob("*/__init__.py")
                      if p.parent.name != "migrations")
    assert packages == FEATURES


def test_the_contract_is_the_decided_order() -> None:
    settings = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert settings["root_packages"] == ["web", "scheduler", "badges"]
    # Imports under TYPE_CHECKING run nothing; every other import counts, in functions too.
    assert settings["exclude_type_checking_imports"] is True
    layers = [c for c in _contracts() if c["type"] == "layers"]
    assert len(layers) == 1 and layers[0]["containers"] == ["web"]
    assert [" | ".join(n.strip() for n in layer.split("|")) for layer in layers[0]["layers"]] == FEATURE_ORDER
    assert not layers[0].get("ignore_imports")
    forbidden = {tuple(c["source_modules"]): set(c["forbidden_modules"])
                 for c in _contracts() if c["type"] == "forbidden"}
    assert forbidden[("scheduler",)] == {"web", "badges", "flask", "reportlab"}
    assert forbidden[("badges",)] == {"web"}
    base = forbidden[("web.extensions", "web.database", "web.types", "web.config", "web.wording")]
    assert base == {f"web.{name}" for name in FEATURES}


def test_imports_keep_the_order() -> None:
    """``lint-imports`` as CI runs it, in its own process: in this one its logging set-up
    (``dictConfig``) would switch off the loggers of every module already imported."""
    pytest.importorskip("importlinter.cli", reason="import-linter is a development dependency")
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache",
                             "--config", str(PYPROJECT)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, "imports against the feature order (lint-imports):\n" + result.stdout


CHILD = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "web" or m.startswith("web.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ":\\n" + traceback.format_exc())
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_feature_imports_alone() -> None:
    """``import web.<feature>`` first thing in an interpreter: each starts with no web module
    loaded (third-party packages stay, so one process serves all features)."""
    result = subprocess.run([sys.executable, "-c", CHILD, *(f"web.{name}" for name in FEATURES)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
