"""Small pieces of wording every feature uses the same way (imports no feature)."""

from __future__ import annotations

from collections.abc import Sequence

NAMES_SHOWN = 5


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 person``, ``3 people``, ``2 meetings``: the count with the noun that fits it."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def names_and_more(names: Sequence[str], shown: int = NAMES_SHOWN) -> str:
    """``Ana, Bo and 3 more``: a few names, then how many are left out."""
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown]) + f" and {len(names) - shown} more"
