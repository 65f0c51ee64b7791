"""The one-way import order between web's features (docs/architecture.md, "Feature order").

The order is an import-linter contract in pyproject.toml: a lower feature never imports a
higher one, not even inside a function; it lets higher features act through its blinker
signals. These tests run that check, pin the decided order so it cannot be loosened
quietly, and import every feature alone in a fresh interpreter (an import cycle shows only
when the import starts there, not after ``create_app`` has loaded everything). It also checks
what the contract cannot see: that each signal's receivers live in the features its
documentation names (``RECEIVERS`` beside the signal), and that no import under TYPE_CHECKING
runs up the order.
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
    "checkin | wishes",
    "schedules",
    "mail",
    "attendees",
    "events",
    "api",
    "auth",
    "audit",
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


SIGNAL_CHILD = """
import importlib, json, sys
from blinker import NamedSignal
for name in sys.argv[1:]:
    importlib.import_module(name)  # each package imports the modules that connect its receivers
found = []
for name in sys.argv[1:]:
    try:
        module = importlib.import_module(name + ".signals")
    except ModuleNotFoundError:
        continue
    allowed = getattr(module, "RECEIVERS", None)
    for signal in vars(module).values():
        if isinstance(signal, NamedSignal):
            receivers = [f"{r.__module__}.{r.__qualname__}" for r in signal.receivers_for(object())]
            found.append([name, signal.name, None if allowed is None else sorted(allowed.get(signal.name, ())),
                          signal.name in (allowed or {}), receivers])
print(json.dumps(found))
"""


def _signals_and_receivers() -> list[tuple[str, str, list[str] | None, bool, list[str]]]:
    """(sender feature, signal, features its documentation lets receive it, documented,
    receivers connected once every feature is imported), from a fresh interpreter."""
    import json

    result = subprocess.run([sys.executable, "-c", SIGNAL_CHILD, *(f"web.{name}" for name in FEATURES)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return [(sender.removeprefix("web."), signal, allowed, documented, receivers)
            for sender, signal, allowed, documented, receivers in json.loads(result.stdout)]


def _rank(feature: str) -> int:
    """The layer of ``feature``: 0 for the highest."""
    return next(i for i, layer in enumerate(FEATURE_ORDER) if feature in (n.strip() for n in layer.split("|")))


def test_each_signal_names_who_may_receive_it_and_its_receivers_live_there() -> None:
    """A signal is a notice for the features above its sender (docs/architecture.md, "Feature
    order and signals"): its module's ``RECEIVERS`` names the features that may connect to it,
    as its documentation says, and every receiver connected lives in one of them. A receiver
    in the wrong layer (the sender's own, one below, the app factory) fails here."""
    signals = _signals_and_receivers()
    assert {signal for _, signal, *_ in signals} >= {"event-console-links", "version-published",
                                                     "checkin-arrived-unplaced"}
    for sender, signal, allowed, documented, receivers in signals:
        assert documented, f"{signal} ({sender}) is not in its module's RECEIVERS"
        assert allowed is not None
        below = [f for f in allowed if _rank(f) >= _rank(sender)]
        assert not below, f"{signal} names receivers not above {sender}: {below}"
        for receiver in receivers:
            parts = receiver.split(".")
            feature = parts[1] if parts[0] == "web" and len(parts) > 2 else receiver
            assert feature in allowed, f"{signal} ({sender}) is received by {receiver}, outside {allowed}"


# The jobs feature's model names the schedules' version for its relationship; the branch that
# makes jobs neutral (a JSON result instead of the foreign key) removes it. Delete this entry
# with that merge: the check then holds for every feature.
def test_no_type_checking_import_runs_up_the_order() -> None:
    """Imports under TYPE_CHECKING are left out of the import-linter contract (they run
    nothing), so this keeps them to the order too: a model naming a higher feature's class for
    the checker hides a dependency the contract cannot see."""
    import ast

    wrong = []
    for path in sorted((ROOT / "web").glob("*/**/*.py")):
        feature = path.relative_to(ROOT / "web").parts[0]
        if feature not in FEATURES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("web."):
                        target = inner.module.split(".")[1]
                        if target in FEATURES and target != feature and _rank(target) <= _rank(feature):
                            wrong.append(f"{path.relative_to(ROOT)}: {inner.module}")
    assert not wrong, "TYPE_CHECKING imports against the feature order:\n" + "\n".join(wrong)
