"""Pairs the organisers decide: force (must meet) or forbid (avoid) a meeting, chosen by
name on the attendee's edit page rather than typed as raw ids.

Both rules are the attendee row's ``must_meet`` and ``avoid`` lists (ext ids), as the
attendee file has them; the planner reads them from either side. Setting one rule on a pair
clears the other rule on the same pair from both sides, so a pair is never forced and
forbidden at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, IntegerField
from wtforms.validators import AnyOf, InputRequired

from web.attendees import bp
from web.attendees.convert import join_list, split_list
from web.attendees.models import Attendee
from web.attendees.services import get_attendee_or_404, in_name_order, search_attendees
from web.auth.decorators import organiser_required
from web.events.services import get_event_or_404
from web.extensions import db

#: Names the picker lists for one search.
MATCHES = 20


class PairRule(StrEnum):
    """What the organisers decide about a pair (the attendee row's column of that name)."""

    MUST_MEET = "must_meet"
    AVOID = "avoid"


REMOVE = "remove"
RULE_LABELS = {PairRule.MUST_MEET: "must meet", PairRule.AVOID: "kept apart from"}


@dataclass(frozen=True)
class PairPicker:
    """The edit page's part: the pairs decided so far (by name) and the search's matches."""

    must_meet: list[Attendee]
    avoid: list[Attendee]
    query: str
    matches: list[Attendee]


def _named(row: Attendee, ext_ids: tuple[str, ...]) -> list[Attendee]:
    if not ext_ids:
        return []
    return in_name_order(row.event, db.session.scalars(select(Attendee).where(
        Attendee.event_id == row.event_id, Attendee.ext_id.in_(ext_ids))))


def pair_picker(row: Attendee, query: str) -> PairPicker:
    """The pairs ``row`` has and, for a search, the people of the event it matches (``row``
    left out)."""
    query = query.strip()[:100]
    matches: list[Attendee] = []
    if query:
        found = db.session.scalars(search_attendees(row.event, query).where(Attendee.id != row.id).limit(MATCHES))
        matches = in_name_order(row.event, found)
    return PairPicker(_named(row, split_list(row.must_meet)), _named(row, split_list(row.avoid)), query, matches)


def _without(text: str | None, ext_id: str) -> str:
    return join_list(x for x in split_list(text) if x != ext_id)


def set_pair(row: Attendee, partner: Attendee, rule: PairRule | None) -> None:
    """Force (``MUST_MEET``), forbid (``AVOID``) or free (``None``) the pair; commits."""
    for column in PairRule:
        setattr(row, column, _without(getattr(row, column), partner.ext_id))
        setattr(partner, column, _without(getattr(partner, column), row.ext_id))
    if rule is not None:
        setattr(row, rule, join_list([*split_list(getattr(row, rule)), partner.ext_id]))
    db.session.commit()


class PairForm(FlaskForm):
    partner = IntegerField(validators=[InputRequired()])
    rule = HiddenField(validators=[AnyOf([*(str(rule) for rule in PairRule), REMOVE])])
    pair_q = HiddenField()


@bp.post("/<int:attendee_id>/pairs")
@organiser_required
def pairs(slug: str, attendee_id: int) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    row = get_attendee_or_404(event, attendee_id)
    form = PairForm()
    query = (form.pair_q.data or "")[:100]
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
    else:
        partner = get_attendee_or_404(event, int(form.partner.data or 0))
        if partner.id == row.id:
            flash("Pick someone else.", "error")
        else:
            rule = None if form.rule.data == REMOVE else PairRule(form.rule.data)
            set_pair(row, partner, rule)
            done = f"{row.name} {RULE_LABELS[rule]} {partner.name}." if rule else \
                f"{row.name} and {partner.name}: no rule."
            flash(done, "success")
    args: dict[str, Any] = {"slug": event.slug, "attendee_id": row.id}
    if query:
        args["pair_q"] = query
    target = url_for("attendees.edit_attendee", **args)
    return redirect(target + "#pairs")
