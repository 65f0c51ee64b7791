"""``flask --app web attendee-codes check|rehash``: the stored hashes of personal links and badge
codes after a change of SECRET_KEY.

The codes are derived under SECRET_KEY and looked up by their stored hash (see
:mod:`web.attendees.models`). After SECRET_KEY changes, links and badges handed out before keep
matching their old hashes, but every link or badge made from then on is derived under the new
key and matches nothing: ``check`` says so, ``rehash`` stores the hashes of the new codes (the
old links and badges stop working; mail the links and print the badges again).
"""

from __future__ import annotations

import click
from sqlalchemy import select, update

from web.attendees.models import Attendee, CodePurpose, code_hash, derive_code
from web.extensions import db


def stale_code_count() -> int:
    """How many attendees' stored hashes do not match the codes the current key derives."""
    stale = 0
    for nonce, token_hash, checkin_nonce, checkin_hash in db.session.execute(
            select(Attendee.token_nonce, Attendee.token_hash, Attendee.checkin_nonce, Attendee.checkin_code_hash)):
        if (code_hash(derive_code(CodePurpose.PERSONAL_LINK, nonce)) != token_hash
                or code_hash(derive_code(CodePurpose.CHECKIN, checkin_nonce)) != checkin_hash):
            stale += 1
    return stale


def rehash_codes() -> int:
    """Store the hashes of the codes the current key derives, for every attendee; returns how
    many rows changed."""
    changed = 0
    rows = db.session.execute(select(Attendee.id, Attendee.token_nonce, Attendee.checkin_nonce)).all()
    for attendee_id, nonce, checkin_nonce in rows:
        values = {"token_hash": code_hash(derive_code(CodePurpose.PERSONAL_LINK, nonce)),
                  "checkin_code_hash": code_hash(derive_code(CodePurpose.CHECKIN, checkin_nonce))}
        result = db.session.execute(
            update(Attendee).where(Attendee.id == attendee_id,
                                   (Attendee.token_hash != values["token_hash"])
                                   | (Attendee.checkin_code_hash != values["checkin_code_hash"]))
            .values(**values).execution_options(synchronize_session=False))
        changed += result.rowcount  # type: ignore[attr-defined]
    db.session.commit()
    return changed


@click.group("attendee-codes")
def attendee_codes_cli() -> None:
    """Personal links and badge codes after a change of SECRET_KEY."""


@attendee_codes_cli.command("check")
def check_command() -> None:
    """Exit 1 when some stored codes were made under another SECRET_KEY."""
    stale = stale_code_count()
    if stale:
        raise click.ClickException(f"{stale} attendee(s) hold links and badge codes made under another "
                                   "SECRET_KEY: run 'attendee-codes rehash' (their old links and badges "
                                   "then stop working) or restore the old SECRET_KEY")
    click.echo("Every stored link and badge code matches the current SECRET_KEY.")


@attendee_codes_cli.command("rehash")
@click.confirmation_option(prompt="Every personal link and badge made under the old SECRET_KEY stops "
                                  "working. Continue?")
def rehash_command() -> None:
    """Store the hashes of the links and badge codes the current SECRET_KEY derives."""
    click.echo(f"{rehash_codes()} attendee(s) got new links and badge codes: mail the links and print "
               "the badges again.")
