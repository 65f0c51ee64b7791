"""Checks on what a user reads by the facts in it (names, numbers, rounds, tables, times),
not by its whole sentence, so the copy can be improved without breaking tests while a wrong
fact still fails them.

``missing_facts(text, "Ana Lima", "round 2", "table 3", "Bob", "14:10")`` lists the facts not
found in ``text``. A fact matches as a whole phrase (never "round 2" inside "round 23"),
whatever its case and spacing; a fact labelled with its noun ("round 2", "table 3") keeps the
check as strong as the sentence was, since a swapped round and table no longer match.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser


def plain(markup: str) -> str:
    """The text of an HTML fragment or page: tags dropped, entities decoded, spacing collapsed
    (so ``Table <strong>A1</strong>`` reads as ``Table A1``)."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", markup)).split())


def missing_facts(text: str, *facts: object) -> list[str]:
    """The ``facts`` that do not appear in ``text`` as whole phrases (case and spacing aside)."""
    flat = " ".join(text.split()).casefold()
    missing = []
    for fact in facts:
        wanted = " ".join(str(fact).split()).casefold()
        if not re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", flat):
            missing.append(str(fact))
    return missing


def field_errors(page: str, field_id: str) -> str:
    """The text of the errors shown under one form field (``<ul id="{field_id}-errors">``, as
    the ``field`` macro writes them), or "" when the field shows none."""
    found = re.search(rf'<ul class="errors" id="{re.escape(field_id)}-errors">(.*?)</ul>', page, re.S)
    return plain(found.group(1)) if found else ""


def line_with(text: str, fact: str) -> str:
    """The first line of a plain-text answer (an e-mail, a CLI's output) that holds ``fact``,
    or "" (so the facts of one line can be checked together)."""
    return next((line for line in text.splitlines() if not missing_facts(line, fact)), "")


class _Element(HTMLParser):
    """Collects the text of the first element whose attribute ``name`` holds ``word``."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self, name: str, word: str) -> None:
        super().__init__(convert_charrefs=True)
        self.name, self.word = name, word
        self.depth = 0  # >0 while inside the element
        self.done = False
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done or tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif self.word in (dict(attrs).get(self.name) or "").split():
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1
            self.done = self.depth == 0

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def text_of(page: str, *, id: str | None = None, class_: str | None = None,  # noqa: A002
            testid: str | None = None) -> str:
    """The plain text of the first element with this id, class or data-testid ("" if none),
    so a fact is looked for where the user reads it (a flash message, an answer), not
    anywhere on the page."""
    name, word = (("id", id) if id else ("class", class_) if class_ else ("data-testid", testid))
    parser = _Element(name, word or "")
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())
