"""Folding and ordering people's names the way a desk looks them up.

A printed list is searched by eye for a family name ("Müller" under M, after "Martin"), and a
desk search is typed on a keyboard without accents ("Muller", "Francois"). Both need the same
folded form of a name: decomposed, accents and other combining marks dropped, case folded,
and the few Latin letters that do not decompose (ø, ł, æ, ...) spelt out. Scripts without a
Latin form (Arabic, Han, Hangul) fold to themselves, case and marks aside.

The family name is the last word of the name: right for most of the names an event receives,
and the rule an organiser can predict. Events that prefer the name as written choose
``"first"`` (``Event.name_order``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol, TypeVar

NAME_ORDERS: tuple[str, ...] = ("family", "first")

# Letters NFKD leaves whole; mapped to what a keyboard without them types.
_SPELT_OUT = str.maketrans({
    "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d",
    "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "þ": "th", "Þ": "th", "ı": "i", "ħ": "h",
    "Ħ": "h", "ŧ": "t", "Ŧ": "t", "ŋ": "n", "Ŋ": "n", "ß": "ss", "ẞ": "ss",
    "\u2019": "'", "\u2018": "'", "\u02bc": "'",
})


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """``text`` without accents, case or compatibility forms, spaces collapsed:
    ``fold("  François  Müller-Lüdenscheidt ") == "francois muller-ludenscheidt"``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELT_OUT))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.translate(_SPELT_OUT).casefold().split())


def name_sort_key(name: str, order: str = "family") -> tuple[str, ...]:
    """Key that sorts ``name`` by family name (then the rest of the name), or as written."""
    folded = fold(name)
    if order == "first":
        return (folded,)
    if order != "family":
        raise ValueError(f"name order must be 'family' or 'first', not {order!r}")
    words = folded.split(" ")
    return (words[-1], " ".join(words[:-1]))


class _Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_Named)


def sorted_people(people: Iterable[T], order: str = "family") -> list[T]:
    """``people`` (anything with ``name`` and ``id``) in ``order``; ties broken by id so
    every print of the same event lists people in the same order."""
    return sorted(people, key=lambda p: (*name_sort_key(p.name, order), str(p.id)))


__all__ = ["NAME_ORDERS", "fold", "name_sort_key", "sorted_people"]
