"""What the schedules feature adds to the event's console pages through the events' signals
(:mod:`web.events.signals`): its items of "Needs attention", its figure on the overview and the
deletion page, and the deletion of its versions before the event's cascade.

Nothing here answers a question a decision depends on: what a settings change would break is
:func:`web.schedules.settings_guard.settings_conflicts`, called by the edit page and the API
(:mod:`web.schedules.event_settings`); an attendee in a stored schedule is kept by the
meetings' foreign keys (:data:`web.attendees.models.REMOVAL_REFUSED`).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import delete, func, select

from web.events.models import Event
from web.events.signals import (
    AttentionItem,
    EventFigure,
    collect_attention,
    collect_figures,
    event_deleting,
)
from web.extensions import db
from web.schedules.models import ScheduleVersion, VersionStatus
from web.schedules.settings_guard import PublishedMeeting, published_meetings
from web.schedules.versions import in_event_range, is_published
from web.wording import plural


def out_of_range(event: Event, meetings: list[PublishedMeeting]) -> list[PublishedMeeting]:
    """Published meetings the event's current rounds or tables no longer have."""
    return [m for m in meetings if not in_event_range(event, m.round, m.table)]


@collect_attention.connect
def _schedule_attention(_sender: Any, *, event: Event, **_: Any) -> list[AttentionItem]:
    """Drafts newer than the published version; a published schedule out of range."""
    items: list[AttentionItem] = []
    version, meetings = published_meetings(event.id)
    newer = select(func.count()).select_from(ScheduleVersion).where(
        ScheduleVersion.event_id == event.id, ScheduleVersion.status == VersionStatus.DRAFT)
    if version is not None:
        newer = newer.where(ScheduleVersion.number > version.number)
    drafts = db.session.scalar(newer) or 0
    schedule_url = url_for("schedules.overview", slug=event.slug)
    if drafts:
        what = "newer than the published version" if version is not None else "and none published"
        items.append(AttentionItem(f"{plural(drafts, 'unpublished draft')} {what}",
                                   schedule_url, "Review and publish"))
    cut = out_of_range(event, meetings) if version is not None else []
    if cut and version is not None:
        items.append(AttentionItem(
            f"The published schedule (version {version.number}) has {plural(len(cut), 'meeting')} "
            f"outside the event's {plural(event.rounds, 'round')}"
            + (f" and {plural(event.tables, 'table')}" if event.tables else "")
            + ": not shown on agendas and exports; the published schedule needs a revision",
            schedule_url, "Revise"))
    return items


@collect_figures.connect
def _schedule_figure(_sender: Any, *, event: Event, **_: Any) -> list[EventFigure]:
    """The schedule's state on the overview and its stored versions on the deletion page."""
    published = db.session.scalar(
        select(ScheduleVersion.number).where(is_published(event.id)))
    by_status = dict(db.session.execute(
        select(ScheduleVersion.status, func.count()).where(ScheduleVersion.event_id == event.id)
        .group_by(ScheduleVersion.status)).all())
    drafts = by_status.get(VersionStatus.DRAFT, 0)
    if published is not None:
        state = f"version {published} published"
    elif drafts:
        state = f"{plural(drafts, 'draft')}, none published"
    else:
        state = "not planned yet"
    return [EventFigure("Schedule", state, 30,
                        erased=plural(sum(by_status.values()), "schedule version"))]


@event_deleting.connect
def _delete_versions(_sender: Any, *, event: Event, **_: Any) -> None:
    """Versions go before the event's cascade: their meetings refer to attendees without one."""
    db.session.execute(delete(ScheduleVersion).where(ScheduleVersion.event_id == event.id))
