"""QR payloads for printing without a server.

The web app hands the renderers each attendee's opaque check-in token. The command line has no
database, so it reads the tokens from a CSV export (``id,token``) or derives them the same way
on every run: ``base64url(HMAC-SHA256(key, attendee id))`` cut to 128 bits, with the key from
``SPEEDNET_TOKEN_KEY`` (base32, at least 128 bits). Only the token goes into the QR code:
nothing personal can be read from a badge.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import hmac
import io
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from scheduler.domain import Attendee

KEY_ENV = "SPEEDNET_TOKEN_KEY"
MIN_KEY_BYTES = 16


class TokenError(ValueError):
    """A tokens file or key that cannot be used; the message says what to fix."""


def derive_token(attendee_id: str, key: bytes) -> str:
    digest = hmac.new(key, attendee_id.encode("utf-8"), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def parse_key(text: str) -> bytes:
    """Decode a base32 key (case and padding forgiven); at least 128 bits."""
    cleaned = "".join(text.split()).upper().rstrip("=")
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise TokenError(f"{KEY_ENV} is not valid base32") from None
    if len(key) < MIN_KEY_BYTES:
        raise TokenError(f"{KEY_ENV} holds {len(key) * 8} bits; it needs at least {MIN_KEY_BYTES * 8}")
    return key


def read_tokens_file(path: str | Path) -> dict[str, str]:
    """Read ``id,token`` rows (header required); every id once, every token non-empty."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TokenError(f"cannot read tokens file {path}: {exc.strerror or exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "id" not in header or "token" not in header:
        raise TokenError(f"{Path(path).name}: the first line must name the columns id,token")
    tokens: dict[str, str] = {}
    problems: list[str] = []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not row.get("id"):
            problems.append(f"line {line}: id is empty")
        elif not row.get("token"):
            problems.append(f"line {line}: token for {row['id']} is empty")
        elif row["id"] in tokens:
            problems.append(f"line {line}: id {row['id']} appears twice")
        else:
            tokens[row["id"]] = row["token"]
    if problems:
        raise TokenError(f"{Path(path).name}: " + "; ".join(problems))
    return tokens


def qr_payloads(attendees: Sequence[Attendee], *, tokens_file: str | Path | None = None,
                environ: Mapping[str, str] = os.environ,
                warn: Callable[[str], None] = lambda message: None) -> dict[str, str]:
    """Payload per attendee id: from ``tokens_file``, else derived under the key in the
    environment, else under a random key (with a warning: such codes match no server)."""
    if tokens_file is not None:
        tokens = read_tokens_file(tokens_file)
        missing = [a.id for a in attendees if a.id not in tokens]
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise TokenError(f"{Path(tokens_file).name} has no token for {len(missing)} attendee(s): {shown}")
        return {a.id: tokens[a.id] for a in attendees}
    if environ.get(KEY_ENV, "").strip():
        key = parse_key(environ[KEY_ENV])
    else:
        key = secrets.token_bytes(32)
        warn(f"warning: neither --tokens nor {KEY_ENV} was given; the QR codes use a random key and "
             "cannot be checked in against a speednet server")
    return {a.id: derive_token(a.id, key) for a in attendees}


def badge_numbers(attendees: Sequence[Attendee]) -> dict[str, int]:
    """Badge numbers 1..n in attendee-file order, so a late registration appended to the file
    gets a new number without renumbering badges already printed."""
    return {a.id: i for i, a in enumerate(attendees, start=1)}
