"""Run a command-line ``main(argv)`` in the test process, as ``python -m`` would run it.

Starting Python for every CLI test cost seconds each (imports of OR-Tools and ReportLab), so
the CLI tests call ``main`` directly and read what it printed; one smoke test per program still
starts it as a real process (:func:`run_module`) to prove the entry point itself works.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Finished:
    """What a run left: exit status and the text written to stdout and stderr."""

    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _environment(changes: Mapping[str, str | None]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in changes}
    try:
        for name, value in changes.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_main(main: Callable[[Sequence[str]], int], *args: str,
             env: Mapping[str, str | None] | None = None) -> Finished:
    """Call ``main(list(args))`` with stdout/stderr captured and ``env`` applied (``None``
    removes a variable). argparse's usage errors exit through ``SystemExit``, turned into the
    exit status a shell would see; any other exception fails the test with its traceback."""
    out, err = io.StringIO(), io.StringIO()
    with _environment(env or {}), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
    return Finished(code, out.getvalue(), err.getvalue())


def run_module(module: str, *args: str, env: Mapping[str, str | None] | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m module args`` as a real process from the repository root."""
    environment = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout)
