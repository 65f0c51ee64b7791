"""Parameters that make a test slow go to the marked suite (``make test-slow``, CI); the small
ones of the same family stay in the fast suite, so ``make test`` still covers every family."""

from __future__ import annotations

from typing import Any

import pytest


def slow_if(condition: bool, *values: Any) -> Any:
    """``pytest.param(*values)``, marked ``slow`` when ``condition`` holds."""
    return pytest.param(*values, marks=[pytest.mark.slow] if condition else [])
