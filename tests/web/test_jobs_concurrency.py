"""One active job per event, settled by the database: starts from concurrent requests (the
console's form, the API, and autocommit sessions as the check-in API runs them, which is how
two scans of unplaced people each start an automatic revision) leave exactly one active job,
and every other caller is told which job runs (a redirect to its page, 409, ``JobBusy``).
On SQLite and on PostgreSQL (mark ``postgres``)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.support.databases import DATABASES, app_on
from tests.support.jobs import TEST_KIND
from tests.web.conftest import csrf_token, login
from web.auth.services import create_api_token
from web.events.models import Event
from web.extensions import db
from web.jobs import ACTIVE_STATUSES, Job, JobBusy, start_job

STARTERS = 6
ROUNDS = 3  # each round a fresh event: more chances for the starts to interleave


@pytest.fixture(params=DATABASES)
def app(request, tmp_path, database_template) -> Iterator[Flask]:
    """The suite's app on SQLite or PostgreSQL; no worker takes the jobs, so each stays active."""
    with app_on(request.param, tmp_path, database_template, QUEUE_IN_PROCESS_WORKER=False) as application:
        yield application


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` in threads of their own, released together."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait(30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _jobs_of(event: Event) -> tuple[int, list[str]]:
    """(how many job rows the event has, the ids of its active ones)."""
    db.session.expire_all()
    total = db.session.scalar(select(func.count()).select_from(Job).where(Job.event_id == event.id))
    active = list(db.session.scalars(select(Job.id).where(Job.event_id == event.id,
                                                           Job.status.in_(ACTIVE_STATUSES))))
    return total or 0, active


def _planning_event(make_event, make_attendee, n: int) -> Event:
    event = make_event(rounds=2, slug=f"race-{n}")
    for i in range(4):
        make_attendee(event, company=f"Firm {i}")
    return event


def test_console_starts_at_once_make_one_job_and_show_it_to_everyone(app, make_event, make_attendee,
                                                                       organiser_user):
    clients = []
    for _ in range(STARTERS):
        client = app.test_client()
        assert login(client, organiser_user.email).status_code == 302
        clients.append(client)
    for n in range(ROUNDS):
        event = _planning_event(make_event, make_attendee, n)
        url = f"/console/{event.slug}/schedule/generate"
        tokens = [csrf_token(client, url) for client in clients]
        answers = _race([
            lambda client=client, token=token, url=url: client.post(
                url, data={"csrf_token": token, "time_limit": "1", "seed": "0"})
            for client, token in zip(clients, tokens, strict=True)])
        assert [a.status_code for a in answers] == [302] * STARTERS
        total, active = _jobs_of(event)
        assert total == 1 and len(active) == 1
        # The winner and the refused alike are sent to the one job's progress page.
        assert {a.headers["Location"] for a in answers} == {f"/console/{event.slug}/jobs/{active[0]}"}


def test_api_starts_at_once_make_one_job_and_409_the_rest(app, client, make_event, make_attendee,
                                                         organiser_user):
    headers = {"Authorization": f"Bearer {create_api_token(organiser_user, 'tests')}"}
    for n in range(ROUNDS):
        event = _planning_event(make_event, make_attendee, n)
        url = f"/api/v1/events/{event.slug}/schedule"
        answers = _race([
            lambda url=url: app.test_client().post(url, json={"time_limit": 1}, headers=headers)
            for _ in range(STARTERS)])
        codes = sorted(a.status_code for a in answers)
        assert codes == [202] + [409] * (STARTERS - 1), [a.json for a in answers]
        total, active = _jobs_of(event)
        assert total == 1 and len(active) == 1
        [started] = [a for a in answers if a.status_code == 202]
        assert started.json["id"] == active[0]
        for refused in (a for a in answers if a.status_code == 409):
            assert refused.json["detail"]["job"] == f"/api/v1/jobs/{active[0]}"
            assert "already" in refused.json["message"]


def test_autocommit_starts_at_once_make_one_job(app, make_event):
    """The check-in API runs in autocommit, where a lock taken by one statement ends with it:
    only the database's unique index stands between two scans and two automatic revisions."""

    def start(event_id: int) -> str:
        with app.app_context():
            try:
                db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
                event = db.session.get(Event, event_id)
                assert event is not None
                return "started " + start_job(event, TEST_KIND, params={"call": "never-run"}).id
            except JobBusy as busy:
                return "busy " + busy.job.id
            finally:
                db.session.remove()

    for _ in range(ROUNDS):
        event = make_event()
        outcomes = _race([lambda event_id=event.id: start(event_id)] * STARTERS)
        total, active = _jobs_of(event)
        assert total == 1 and len(active) == 1
        assert sorted(o.split()[0] for o in outcomes) == ["busy"] * (STARTERS - 1) + ["started"]
        assert {o.split()[1] for o in outcomes} == set(active)


def test_the_database_refuses_a_second_active_job_of_an_event(app, make_event):
    """The rule holds even for a writer that skips start_job (the index, not the code)."""
    from sqlalchemy.exc import IntegrityError

    event, other = make_event(), make_event()
    db.session.add_all([Job(event_id=event.id, kind=TEST_KIND, status="running"),
                        Job(event_id=event.id, kind=TEST_KIND, status="done"),
                        Job(event_id=other.id, kind=TEST_KIND, status="queued")])
    db.session.commit()
    db.session.add(Job(event_id=event.id, kind=TEST_KIND, status="queued"))
    with pytest.raises(IntegrityError, match=re.compile("unique|duplicate", re.I)):
        db.session.commit()
    db.session.rollback()
