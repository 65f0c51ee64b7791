"""Two publishes of two drafts revising the same published version, at the same moment: the
database settles it. Exactly one is published, the other is refused saying which version was
published meanwhile, and change notices (the ``version_published`` signal, the outbox's
agenda-change messages) go out for the winner only. On SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.support.databases import DATABASES, app_on
from web.attendees.models import Attendee
from web.events.models import Event
from web.extensions import db
from web.mail.models import OutboxMessage
from web.schedules.models import ScheduleMeeting, ScheduleVersion, VersionStatus
from web.schedules.publishing import StalePublish, publish_version
from web.schedules.signals import version_published
from web.schedules.versions import published_version

REPEATS = 10
PEOPLE = 8


@pytest.fixture(params=DATABASES)
def app(request, tmp_path, database_template) -> Iterator[Flask]:
    with app_on(request.param, tmp_path, database_template, QUEUE_IN_PROCESS_WORKER=False) as application:
        yield application


def _version(event: Event, number: int, rounds: list[list[tuple[int, int]]], *, status: str,
             base: ScheduleVersion | None = None) -> ScheduleVersion:
    """A stored version of ``event`` whose round r seats the pairs ``rounds[r - 1]``, table by table."""
    version = ScheduleVersion(event_id=event.id, number=number, status=status,
                              kind="revision" if base is not None else "plan",
                              base_version_id=base.id if base is not None else None,
                              report={"rounds": len(rounds), "tables": PEOPLE // 2})
    version.meetings = [ScheduleMeeting(round=r, table=t, a_id=a, b_id=b, score=1.0, reason="")
                        for r, pairs in enumerate(rounds, 1) for t, (a, b) in enumerate(pairs, 1)]
    db.session.add(version)
    db.session.commit()
    return version


def _seating(ids: list[int], shift: int) -> list[list[tuple[int, int]]]:
    """Two rounds; round 2 pairs the people ``shift`` places apart (differs per draft)."""
    first = [(ids[i], ids[i + 1]) for i in range(0, PEOPLE, 2)]
    half = PEOPLE // 2
    second = [(ids[i], ids[half + (i + shift) % half]) for i in range(half)]
    return [first, second]


def test_of_two_racing_publishes_one_wins_and_only_its_changes_are_announced(app, make_event,
                                                                            make_attendee):
    event = make_event(rounds=2, tables=PEOPLE // 2)
    people = [make_attendee(event, email=f"p{i}@example.com") for i in range(PEOPLE)]
    ids = [p.id for p in people]
    current, current_shift = _version(event, 1, _seating(ids, 0), status=VersionStatus.PUBLISHED), 0
    announced: list[int] = []

    def receiver(_app, *, version, **_kwargs):
        announced.append(version.id)

    version_published.connect(receiver)
    try:
        winners: list[int] = []
        for repeat in range(REPEATS):
            number = 2 + 2 * repeat
            # Two drafts that each change round 2 against the published version, differently.
            others = [shift for shift in range(PEOPLE // 2) if shift != current_shift]
            shifts = [others[repeat % 3], others[(repeat + 1) % 3]]
            drafts = [_version(event, number + k, _seating(ids, shifts[k]), status=VersionStatus.DRAFT,
                               base=current) for k in range(2)]
            outcomes = _publish_at_once(app, [d.id for d in drafts])
            db.session.expire_all()
            won = [d for d, outcome in zip(drafts, outcomes, strict=True) if outcome == "published"]
            assert len(won) == 1, outcomes
            [lost] = [outcome for outcome in outcomes if outcome != "published"]
            winner = won[0]
            # Refused with the reason: the version that was published meanwhile, by number.
            assert f"version {winner.number}" in lost.lower() and "published" in lost, lost
            assert published_version(db.session.get(Event, event.id)).id == winner.id
            assert db.session.get(ScheduleVersion, current.id).status == VersionStatus.SUPERSEDED
            loser = next(d for d in drafts if d is not winner)
            assert db.session.get(ScheduleVersion, loser.id).status == VersionStatus.DRAFT
            winners.append(winner.id)
            current, current_shift = winner, shifts[drafts.index(winner)]
        assert announced == winners
        notices = dict(db.session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.id).where(OutboxMessage.kind == "agenda-change")).all())
        announced_versions = {int(key.split(":")[1]) for key in notices}
        assert announced_versions == set(winners)
        assert db.session.scalar(select(func.count()).select_from(ScheduleVersion).where(
            ScheduleVersion.event_id == event.id, ScheduleVersion.status == VersionStatus.PUBLISHED)) == 1
        stamped = db.session.scalar(select(func.count()).select_from(Attendee).where(
            Attendee.event_id == event.id, Attendee.agenda_changed_at.is_not(None)))
        assert stamped and stamped <= PEOPLE
    finally:
        version_published.disconnect(receiver)


def _publish_at_once(app: Flask, version_ids: list[int]) -> list[str]:
    """Publish each version from a thread of its own (own app context and session), released
    together; each outcome is "published" or the refusal's text."""
    barrier = threading.Barrier(len(version_ids))
    outcomes: list[str] = [""] * len(version_ids)

    def publish(index: int, version_id: int) -> None:
        with app.app_context():
            try:
                version = db.session.get(ScheduleVersion, version_id)
                assert version is not None
                barrier.wait(30)
                publish_version(version)
                outcomes[index] = "published"
            except StalePublish as exc:
                outcomes[index] = str(exc)
            except Exception as exc:  # reported in the assertion, not lost in a thread
                outcomes[index] = f"error: {type(exc).__name__}: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=publish, args=(i, v)) for i, v in enumerate(version_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_the_same_draft_published_twice_at_once_is_published_and_announced_once(app, make_event,
                                                                                 make_attendee):
    event = make_event(rounds=2, tables=PEOPLE // 2)
    ids = [make_attendee(event, email=f"p{i}@example.com").id for i in range(PEOPLE)]
    base = _version(event, 1, _seating(ids, 0), status=VersionStatus.PUBLISHED)
    draft = _version(event, 2, _seating(ids, 1), status=VersionStatus.DRAFT, base=base)
    announced: list[int] = []

    def receiver(_app, *, version, **_kwargs):
        announced.append(version.id)

    version_published.connect(receiver)
    try:
        assert _publish_at_once(app, [draft.id, draft.id]) == ["published", "published"]
    finally:
        version_published.disconnect(receiver)
    assert announced == [draft.id]
    db.session.expire_all()
    assert published_version(db.session.get(Event, event.id)).id == draft.id
