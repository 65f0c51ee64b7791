"""Schema fields whose value is computed from the object being dumped.

Answers are dumped from rows and results, not from dictionaries built by hand; where a value
is not an attribute (a count, a formatted time, a URL), :func:`derived` gives a field of the
usual type, so the OpenAPI document describes it exactly like a plain field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from marshmallow import fields

F = TypeVar("F", bound=fields.Field)


def derived(field: type[F], getter: Callable[[Any], Any], *args: Any, **kwargs: Any) -> F:
    """A ``field`` (e.g. ``String``) whose value is ``getter(obj)`` of the dumped object;
    ``args`` and ``kwargs`` go to the field (``derived(List, f, String())``).

    A subclass rather than ``fields.Function``: the OpenAPI converter maps fields by class,
    so the document keeps the plain field's type and format, and the field is not read-only.
    """

    class Derived(field):  # type: ignore[valid-type,misc]
        def get_value(self, obj: Any, attr: str, accessor: Any = None,
                      default: Any = None) -> Any:
            return getter(obj)

    Derived.__name__ = Derived.__qualname__ = f"Derived{field.__name__}"
    return Derived(*args, **kwargs)
