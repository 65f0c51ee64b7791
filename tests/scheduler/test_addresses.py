"""One plain address per recipient: everything Python's e-mail package would read as more
(display names, encoded words, groups, comments, line breaks) is refused where it enters."""

from __future__ import annotations

import pytest

from scheduler.addresses import AddressError, normalise_address, parse_address, single_line

# Each was accepted somewhere before, and each can become a second recipient, a Bcc: line or
# a different domain once the e-mail package parses it.
HOSTILE = [
    "=?utf-8?q?a=0D=0ABcc=3A_evil=40attacker.example?=@example.org",
    "=?utf-8?b?ZXZpbEBhdHRhY2tlci5leGFtcGxl?=@example.org",
    '"gus@example.org" evil4@attacker.example',
    '"a@b" c@d.example',
    "Ana <ana@example.org>",
    "ana@example.org <evil@attacker.example>",
    "ana@example.org, evil@attacker.example",
    "ana@example.org;evil@attacker.example",
    "friends: ana@example.org, evil@attacker.example;",
    "undisclosed-recipients:;",
    "ana(evil@attacker.example)@example.org",
    '"ana evil"@example.org',
    "ana@example.org\r\nBcc: evil@attacker.example",
    "ana@example.org\nBcc: evil@attacker.example",
    "ana@example.org\rBcc: evil@attacker.example",
    "ana@example.org\u2028Bcc: evil@attacker.example",
    "ana@example.org\u0085Bcc: evil@attacker.example",
    "ana\u200b@example.org",
    "ana\x00@example.org",
    "ana @example.org",
    "ana@exa mple.org",
    "a@b@example.org",
    "ana@[127.0.0.1]",
    "ana@localhost",
    "ana@-example.org",
    ".ana@example.org",
    "an..a@example.org",
    "anä@example.org",
    "",
    "@example.org",
    "ana@",
    "x" * 65 + "@example.org",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_anything_but_one_plain_address_is_refused(text):
    with pytest.raises(AddressError) as caught:
        parse_address(text)
    assert str(caught.value)  # a message the person who typed it can act on


@pytest.mark.parametrize("text, stored", [
    ("ana@example.org", "ana@example.org"),
    ("  Ana.Lima+summit@Example.ORG ", "Ana.Lima+summit@example.org"),
    ("o'brien@example.co.uk", "o'brien@example.co.uk"),
    ("ana@bücher.example", "ana@xn--bcher-kva.example"),
])
def test_a_plain_address_is_stored_in_one_form(text, stored):
    assert normalise_address(text) == stored
    parsed = parse_address(text)
    assert f"{parsed.local}@{parsed.domain}" == stored


@pytest.mark.parametrize("text, line", [
    ("Ana\r\nBcc: evil@attacker.example", "Ana Bcc: evil@attacker.example"),
    ("Ana\u2028Lima", "Ana Lima"),
    ("Ana\u0085Lima\u2029", "Ana Lima"),
    ("  Ana \t Lima\x00\x1b[31m ", "Ana Lima[31m"),
    ("\u202eAna\u200b Lima", "Ana Lima"),
    ("Rūta\u200dŽ", "Rūta\u200dŽ"),  # joiners spell some names; they break no line
    ("", ""),
])
def test_single_line_keeps_names_on_one_line_without_control_characters(text, line):
    assert single_line(text) == line
