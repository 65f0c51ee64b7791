"""E-mail addresses and header text, checked once where they enter.

An address typed into a form, a file cell or an API body is read by :func:`parse_address`
into one plain ``local@domain`` and stored like that; the mail builder checks it again before
it writes a header or an SMTP envelope. Python's e-mail package decodes RFC 2047 encoded words
(``=?utf-8?q?...?=``), display names, comments and group syntax when it parses a header, so a
string that merely *contains* an ``@`` may become several recipients, or a ``Bcc:`` line,
on its way out. Only the plain form is accepted: a dot-atom local part of ASCII letters,
digits and a few punctuation marks, and a domain of letters, digits and hyphens (an
internationalised domain is stored in its ASCII form, ``xn--``).

:func:`single_line` is the one cleaning of free text (names, event names) bound for a header
or a one-line place: control and format characters and every line or paragraph separator go,
runs of white space become one space.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_ADDRESS = 254
MAX_LOCAL = 64
MAX_LABEL = 63

# RFC 5322 atext minus "?" (only encoded words need it in practice) and minus nothing else;
# no quoted strings, no comments, no white space.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# Characters that separate lines for some reader (str.splitlines, e-mail, JSON, browsers).
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


class AddressError(ValueError):
    """Not one plain e-mail address; the message says what is wrong, for the person who typed it."""


@dataclass(frozen=True)
class MailAddress:
    """One plain address, split the way :class:`email.headerregistry.Address` takes it."""

    local: str
    domain: str

    def __str__(self) -> str:
        return f"{self.local}@{self.domain}"


def parse_address(text: str) -> MailAddress:
    """``text`` (surrounding white space ignored) as one plain ``local@domain``.

    Refused: display names (``Ana <ana@example.org>``), quoted local parts, comments, groups,
    encoded words, several addresses, white space or control characters anywhere, a local
    part beyond 64 characters or outside ASCII, a domain that is not a host name with a dot.
    The domain is lower-cased (and IDNA-encoded); the local part is kept as typed.
    """
    value = text.strip() if isinstance(text, str) else ""
    if not value:
        raise AddressError("enter an e-mail address such as ana@example.com")
    if len(value) > MAX_ADDRESS:
        raise AddressError(f"an e-mail address has at most {MAX_ADDRESS} characters")
    if any(_is_control(ch) or (ch.isspace() and ch != " ") for ch in value):
        raise AddressError("an e-mail address cannot contain line breaks or control characters")
    if any(ch in value for ch in '<>()[]",;:\\'):
        raise AddressError("enter the address alone (such as ana@example.com), without a name, "
                           "quotes, brackets or a second address")
    if " " in value:
        raise AddressError("an e-mail address cannot contain spaces")
    if value.count("@") != 1:
        raise AddressError("an e-mail address has exactly one @ (such as ana@example.com)")
    local, domain = value.split("@")
    if "=?" in local or "?=" in local or "?" in local:
        raise AddressError("the part before the @ cannot contain '?' (encoded text is not an address)")
    if not local or len(local) > MAX_LOCAL or not _LOCAL.match(local):
        raise AddressError("the part before the @ may use letters a-z, digits and marks such as "
                           f". _ + - only, at most {MAX_LOCAL} characters, with no dot at either "
                           "end or two in a row")
    return MailAddress(local, _parse_domain(domain))


def normalise_address(text: str) -> str:
    """:func:`parse_address` as the text to store (``local@domain``)."""
    return str(parse_address(text))


def _parse_domain(domain: str) -> str:
    """The domain in lower-case ASCII (an internationalised name IDNA-encoded), or AddressError."""
    name = domain.rstrip(".") if domain.endswith(".") and not domain.endswith("..") else domain
    try:
        ascii_name = name.encode("idna").decode("ascii").lower() if not name.isascii() else name.lower()
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.split(".")
    if (not ascii_name or len(labels) < 2 or not all(_LABEL.match(label) for label in labels)
            or not _TLD.match(labels[-1])):
        raise AddressError("the part after the @ must be a domain such as example.com")
    return ascii_name


# Zero-width (non-)joiners are format characters that spell Persian, Indic and emoji names
# correctly and cannot break a line or a header: names keep them.
_JOINERS = frozenset("\u200c\u200d")


def _is_control(ch: str) -> bool:
    """Control, format, line and paragraph separators, unassigned and private-use code points."""
    return ch in _LINE_BREAKS or unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def single_line(text: str | None) -> str:
    """``text`` on one line: control and format characters (CR, LF, U+0085, U+2028/2029, zero
    widths, bidi overrides) removed or, where they separate words, turned into a space; runs
    of white space become one space; ends trimmed. What a name or an event name may carry into
    a mail header or a one-line display."""
    if not text:
        return ""
    spaced = "".join(" " if ch in _LINE_BREAKS or ch == "\t" else ch for ch in str(text))
    kept = "".join(ch for ch in spaced if not _is_control(ch) or ch in _JOINERS)
    return " ".join(kept.split())
