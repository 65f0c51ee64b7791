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
