"""The runtime and the development tools are installed apart: pyproject.toml declares what the
product needs, requirements.txt locks exactly that (a production host gets no test runner or
browser driver), and requirements-dev.txt adds the tools on top of it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_AND_LINT_TOOLS = {"pytest", "pytest-xdist", "hypothesis", "schemathesis", "playwright", "aiosmtpd",
                       "zxing-cpp", "pypdfium2", "ruff", "mypy", "import-linter"}


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>!~ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _lock(path: Path) -> tuple[dict[str, str], list[str]]:
    pins: dict[str, str] = {}
    includes = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-r "):
            includes.append(line[3:].strip())
            continue
        assert "==" in line, f"{path.name} line {number}: {line!r} is not pinned with =="
        name, version = line.split("==")
        assert _name(name) not in pins, f"{path.name} line {number}: {name} pinned twice"
        pins[_name(name)] = version
    return pins, includes


def test_every_declared_dependency_is_locked_at_its_version():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    runtime, includes = _lock(ROOT / "requirements.txt")
    assert not includes
    for requirement in declared:
        name, version = _name(requirement), requirement.split("==")[1]
        assert runtime.get(name) == version, f"{requirement} in pyproject.toml, {runtime.get(name)} in the lock"


def test_the_runtime_lock_holds_no_test_or_lint_tool():
    runtime, _ = _lock(ROOT / "requirements.txt")
    assert not TEST_AND_LINT_TOOLS & set(runtime)


def test_the_development_lock_adds_the_tools_to_the_runtime_without_repinning_it():
    runtime, _ = _lock(ROOT / "requirements.txt")
    dev, includes = _lock(ROOT / "requirements-dev.txt")
    assert includes == ["requirements.txt"]
    assert not set(dev) & set(runtime)  # one pin per package, in one file
    assert set(dev) >= TEST_AND_LINT_TOOLS
