"""Attendee operations: importing files, validating single rows, listing and removing.

A row typed into a form goes through :class:`scheduler.importer.RowValidator`, the checks the
file importer runs on each row, so it is held to exactly the rules (and the wording) of a row in
an uploaded file: taxonomy matching, round ranges, must-meet/avoid references.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flask import abort, current_app, has_app_context
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from badges.names import name_sort_key
from scheduler.domain import Attendee as DomainAttendee
from scheduler.importer import (
    COLUMNS,
    RowError,
    RowValidator,
    attendee_row,
    avoided_warnings,
)
from scheduler.spreadsheet import DEFAULT_LIMITS, TableLimits
from web.attendees.checkins import CheckIn
from web.attendees.convert import apply_domain, domain_values, split_list
from web.attendees.models import (
    Attendee,
    AttendeeSource,
    attendee_import_rows,
    attendees_of,
    code_hash,
    new_codes,
    refusing_references,
)
from web.attendees.parsing import read_upload
from web.attendees.presence import checked_in_count
from web.audit import AuditAction, record
from web.database import lock_row
from web.events.models import Event
from web.events.signals import EventFigure, collect_figures, event_deleted
from web.extensions import db
from web.types import utcnow
from web.wording import plural

log = logging.getLogger(__name__)

PENDING_MAX_AGE_S = 24 * 3600
_PENDING_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


# --------------------------------------------------------------------------- queries


def search_attendees(event: Event, query: str = "") -> Any:
    """Select statement for the event's attendees matching ``query`` (name, company, email, id)."""
    stmt = attendees_of(event.id)
    query = query.strip()
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(
            Attendee.name.ilike(pattern, escape="\\"),
            Attendee.company.ilike(pattern, escape="\\"),
            Attendee.email.ilike(pattern, escape="\\"),
            Attendee.ext_id.ilike(pattern, escape="\\"),
        ))
    return stmt.order_by(func.lower(Attendee.name), Attendee.ext_id)


def in_name_order(event: Event, rows: Iterable[Attendee]) -> list[Attendee]:
    """``rows`` in the event's name order (family name unless the event says "first"), the
    order its printed lists and the check-in desk use, so a person is found in the same place
    on paper and on screen; ties by id."""
    order = event.name_order or "family"
    return sorted(rows, key=lambda row: (*name_sort_key(row.name, order), row.ext_id))


def search_page(event: Event, query: str, page: int, per_page: int) -> tuple[list[Attendee], int]:
    """Page ``page`` (1-based) of the attendees matching ``query`` in the event's name order,
    and how many match. The family-name key (folded, last word) is not something SQL can
    sort by, so the matching names are sorted here and only the page's rows are loaded."""
    order = event.name_order or "family"
    keys = list(db.session.execute(search_attendees(event, query).with_only_columns(
        Attendee.id, Attendee.name, Attendee.ext_id)).all())
    keys.sort(key=lambda row: (*name_sort_key(row.name, order), row.ext_id))
    start = (max(1, page) - 1) * per_page
    ids = [row.id for row in keys[start:start + per_page]]
    rows = {row.id: row for row in db.session.scalars(select(Attendee).where(Attendee.id.in_(ids)))} if ids else {}
    return [rows[i] for i in ids if i in rows], len(keys)


def event_attendees(event: Event) -> list[Attendee]:
    return list(db.session.scalars(
        attendees_of(event.id).order_by(Attendee.badge_number)
    ))


def attendee_for_token(token: str) -> Attendee | None:
    """The attendee whose personal link carries ``token`` (the link is the credential)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Attendee).where(Attendee.token_hash == code_hash(token)))


def get_attendee_for_token_or_404(token: str) -> Attendee:
    attendee = attendee_for_token(token)
    if attendee is None:
        abort(404)
    return attendee


def get_attendee_or_404(event: Event, attendee_id: int) -> Attendee:
    return db.first_or_404(
        attendees_of(event.id).where(Attendee.id == attendee_id)
    )


def next_badge_number(event: Event) -> int:
    current = db.session.scalar(
        attendees_of(event.id, func.max(Attendee.badge_number))
    )
    return (current or 0) + 1


def first_free_id(event: Event, prefix: str, number: int, width: int) -> str:
    """The first of ``<prefix><number>``, ``<prefix><number + 1>``, ... (zero-padded to
    ``width``) that no attendee of the event has, asking only about a few candidates at a
    time instead of reading every id of the event."""
    while True:
        candidates = [f"{prefix}{n:0{width}d}" for n in range(number, number + 32)]
        taken = set(db.session.scalars(attendees_of(event.id, Attendee.ext_id).where(Attendee.ext_id.in_(candidates))))
        free = next((c for c in candidates if c not in taken), None)
        if free is not None:
            return free
        number += len(candidates)


def removal_blockers(attendee: Attendee) -> list[str]:
    """Why an attendee must be kept: removing them would rewrite history (a check-in, a
    meeting in a stored schedule). Empty list = may be removed."""
    return removal_blockers_of([attendee]).get(attendee.id, [])


REMOVAL_CHUNK = 500


def removal_blockers_of(rows: Sequence[Attendee]) -> dict[int, list[str]]:
    """:func:`removal_blockers` for many attendees, a few queries per 500 (an import that
    removes everyone missing from the file asks for thousands). A check-in is this feature's
    own record ("checked in"); a table above that keeps the attendees it refers to declares
    it on its foreign key, which the database enforces (:func:`refusing_references`, e.g.
    "in a stored schedule"). Reasons are listed in a fixed order."""
    ids = [row.id for row in rows]
    reasons: dict[int, set[str]] = {}
    references = refusing_references()
    for start in range(0, len(ids), REMOVAL_CHUNK):
        chunk = ids[start:start + REMOVAL_CHUNK]
        for attendee_id in _ids_with_checkins(chunk):
            reasons.setdefault(attendee_id, set()).add("checked in")
        for column, reason in references:
            for attendee_id in db.session.scalars(select(column).where(column.in_(chunk)).distinct()):
                reasons.setdefault(attendee_id, set()).add(reason)
    return {attendee_id: sorted(reasons[attendee_id]) for attendee_id in ids if attendee_id in reasons}


def _ids_with_checkins(attendee_ids: Sequence[int]) -> set[int]:
    """A person checked in must not vanish from the door's records."""
    return set(db.session.scalars(select(CheckIn.attendee_id).where(
        CheckIn.attendee_id.in_(list(attendee_ids)), CheckIn.active)))


class AttendeeInUse(Exception):
    def __init__(self, attendee: Attendee, reasons: Sequence[str]) -> None:
        super().__init__(f"{attendee.name} is {' and '.join(reasons)} and cannot be removed.")
        self.reasons = list(reasons)


def remove_attendee(attendee: Attendee) -> None:
    """Delete one attendee (and commit), unless :func:`removal_blockers` forbids it. A
    reference written between the check and the delete is refused by the database."""
    reasons = removal_blockers(attendee)
    if reasons:
        raise AttendeeInUse(attendee, reasons)
    db.session.delete(attendee)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AttendeeInUse(attendee, removal_blockers(attendee) or ["in use"]) from None


# --------------------------------------------------------------------------- single rows


class AttendeeRowInvalid(Exception):
    """The form row failed the importer's checks. ``field_errors`` maps importer columns to
    messages; ``other_errors`` are problems elsewhere the change would cause (e.g. another
    attendee's must-meet naming an id that was renamed)."""

    def __init__(self, field_errors: dict[str, list[str]], other_errors: list[str]) -> None:
        super().__init__("; ".join([m for ms in field_errors.values() for m in ms] + other_errors))
        self.field_errors = field_errors
        self.other_errors = other_errors


def validate_row(event: Event, cells: dict[str, str], editing: Attendee | None = None
                 ) -> tuple[DomainAttendee, list[RowError]]:
    """Check one attendee typed into a form with the importer's own row checks
    (:class:`scheduler.importer.RowValidator`), so a form says what an uploaded file would say
    about the same cells.

    References (must_meet, avoid) and id clashes are checked against stored attendees. A new
    row (registration, walk-in, the organiser's "add") concerns only the people it names and
    the holder of its id: a few rows, however large the event. An edit may rename an id others
    refer to, so it is checked against every attendee of the event.
    Returns the parsed attendee and the warnings on its row (``line`` ``None``); raises
    :class:`AttendeeRowInvalid`.
    """
    if editing is None:
        others = _rows_named_by(event, cells)
    else:
        others = [a for a in event_attendees(event) if a.id != editing.id]
    return _validate_among(event, cells, others, check_others=editing is not None)


def _rows_named_by(event: Event, cells: dict[str, str]) -> list[Attendee]:
    """The stored attendees a new row concerns: whoever holds its id and whoever its
    must_meet/avoid name (case-insensitively, so "did you mean" hints still work)."""
    wanted = {cells.get("id", "").strip(), *split_list(cells.get("must_meet", "")),
              *split_list(cells.get("avoid", ""))} - {""}
    if not wanted:
        return []
    folded = sorted({w.casefold() for w in wanted})
    return list(db.session.scalars(
        attendees_of(event.id).where(func.lower(Attendee.ext_id).in_(folded))
        .order_by(Attendee.badge_number)
    ))


def _validate_among(event: Event, cells: dict[str, str], others: list[Attendee], *,
                    check_others: bool) -> tuple[DomainAttendee, list[RowError]]:
    """The form's row checked against ``others`` (stored attendees, the edited one left out).
    With ``check_others`` (an edit), their must_meet/avoid are checked against the ids as they
    would be after the change, so renaming an id someone names is refused."""
    row = {column: (cells.get(column) or "").strip() for column in COLUMNS}
    own = row["id"]
    by_ext = {a.ext_id: a for a in others}
    validator = RowValidator(event.taxonomy_obj(), rounds=event.rounds,
                             known_ids=[*by_ext, own] if own else list(by_ext))
    holder = by_ext.get(own)
    check = validator.check(row, taken_by=holder.name if holder else None)
    other_errors: list[str] = []
    if check_others:
        for other in others:
            for error in validator.reference_errors(other.ext_id, split_list(other.must_meet),
                                                    split_list(other.avoid)):
                other_errors.append(f"{other.name}, {error.field}: {error.message}")
    attendee = check.attendee
    if attendee is None or other_errors:
        field_errors: dict[str, list[str]] = {}
        for error in check.errors:
            field_errors.setdefault(error.field or "", []).append(error.message)
        raise AttendeeRowInvalid(field_errors, other_errors)
    avoids_of = {a.ext_id: split_list(a.avoid) for a in others}
    warnings = check.warnings + avoided_warnings(own, attendee.must_meet, avoids_of,
                                                 {a.ext_id: a.name for a in others})
    return attendee, warnings


def save_attendee(event: Event, attendee: DomainAttendee, row: Attendee | None = None,
                  source: str = AttendeeSource.IMPORT) -> Attendee:
    """Insert or update one attendee row from a validated domain attendee and commit."""
    if row is None:
        row = Attendee(event_id=event.id, ext_id=attendee.id, badge_number=next_badge_number(event),
                       source=source, **domain_values(attendee))
        db.session.add(row)
    else:
        row.ext_id = attendee.id
        apply_domain(row, attendee)
    db.session.commit()
    return row


def form_cells(row: Attendee) -> dict[str, str]:
    """The importer's cells for an existing attendee (to fill the edit form)."""
    return dict(zip(COLUMNS, attendee_row(row.to_domain())))


# --------------------------------------------------------------------------- file import


@dataclass
class ImportPlan:
    """What committing a parsed file would do, shown on the preview page."""

    filename: str
    attendees: list[DomainAttendee]
    warnings: list[RowError]
    remove_missing: bool
    added: list[DomainAttendee] = field(default_factory=list)
    updated: list[tuple[DomainAttendee, list[str]]] = field(default_factory=list)
    unchanged: int = 0
    removed: list[Attendee] = field(default_factory=list)
    kept: list[tuple[Attendee, list[str]]] = field(default_factory=list)  # missing but kept


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    unchanged: int
    removed: int
    kept: int


def import_limits() -> TableLimits:
    """The importer's limits, with the row limit from ``SPEEDNET_IMPORT_MAX_ROWS``."""
    if not has_app_context():
        return DEFAULT_LIMITS
    return TableLimits(max_rows=int(current_app.config.get("IMPORT_MAX_ROWS", DEFAULT_LIMITS.max_rows)))


def parse_upload(event: Event, data: bytes, filename: str) -> tuple[list[DomainAttendee], list[RowError]]:
    """Parse an uploaded file for ``event``; raises ``AttendeeFileError`` with its problems
    (the first ones listed, the rest counted). Reading is bounded by :func:`import_limits`."""
    result = read_upload(data, filename=filename, taxonomy=event.taxonomy_obj(),
                         rounds=event.rounds, limits=import_limits())
    return result.attendees, list(result.warnings)


def plan_import(event: Event, filename: str, attendees: list[DomainAttendee],
                warnings: list[RowError], remove_missing: bool) -> ImportPlan:
    """Compare parsed attendees with the stored ones (matched by ext_id). Writes nothing."""
    plan = ImportPlan(filename, attendees, warnings, remove_missing)
    existing = {a.ext_id: a for a in event_attendees(event)}
    in_file = set()
    for attendee in attendees:
        in_file.add(attendee.id)
        row = existing.get(attendee.id)
        if row is None:
            plan.added.append(attendee)
            continue
        values = domain_values(attendee)
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        if changed:
            plan.updated.append((attendee, changed))
        else:
            plan.unchanged += 1
    if remove_missing:
        missing = [row for ext_id, row in existing.items() if ext_id not in in_file]
        blockers = removal_blockers_of(missing)
        for row in missing:
            reasons = blockers.get(row.id, [])
            if reasons:
                plan.kept.append((row, reasons))
            else:
                plan.removed.append(row)
    return plan


IMPORT_BATCH_ROWS = 500
"""Rows staged per commit: a kiosk's check-in waits for one such batch at most (SQLite has
one writer at a time), a few milliseconds, never for the whole import."""


def commit_import(event: Event, attendees: list[DomainAttendee], remove_missing: bool) -> ImportSummary:
    """Apply a parsed file: add new ids, update known ones in place (token, check-in code, badge
    number and check-ins stay), optionally remove missing ones.

    All or nothing, and short for whoever waits: every value is worked out first, then staged
    in ``attendee_import_rows`` in batches of :data:`IMPORT_BATCH_ROWS` (each committed, none
    visible to any query of attendees), then one transaction moves them in with an INSERT ...
    SELECT and an UPDATE ... FROM run inside the database, plus the removals. On any error
    that transaction is rolled back and nothing of the file is visible; the staged rows are
    deleted either way.
    """
    plan = plan_import(event, "", attendees, [], remove_missing)
    inserts, updates, removed_ids = _import_writes(event, plan)
    summary = ImportSummary(len(plan.added), len(plan.updated), plan.unchanged,
                            len(plan.removed), len(plan.kept))
    key = secrets.token_hex(16)
    try:
        _stage(key, [{**row, "position": i} for i, row in enumerate(inserts)])
        _stage(key, [{**{k: v for k, v in row.items() if k != "id"}, "attendee_id": row["id"], "position": 0}
                     for row in updates])
        _move_staged(event, key, inserts, updates, removed_ids)
        record(AuditAction.IMPORT, event_id=event.id, event=event.slug, rows=len(attendees),
               added=summary.added, updated=summary.updated, unchanged=summary.unchanged,
               removed=summary.removed, kept=summary.kept, remove_missing=remove_missing)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        _unstage(key)
    return summary


def _stage(key: str, rows: list[dict[str, Any]]) -> None:
    """Write the import's rows to the staging table, one commit per batch."""
    for start in range(0, len(rows), IMPORT_BATCH_ROWS):
        db.session.execute(insert(attendee_import_rows),
                           [{**row, "import_key": key} for row in rows[start:start + IMPORT_BATCH_ROWS]])
        db.session.commit()


def _move_staged(event: Event, key: str, inserts: list[dict[str, Any]], updates: list[dict[str, Any]],
                 removed_ids: list[int]) -> None:
    """The statements that make the import visible, in one short transaction (the caller
    commits it with the import's audit entry): set statements the database
    runs itself, so the write lock is held for as long as it takes to copy rows, not for as
    long as Python takes to send them. Badge numbers continue from the highest one at that
    moment, so a walk-in registered while the rows were staged keeps its number."""
    staged = attendee_import_rows.c
    lock_row(db.session, Event.__table__, event.id)  # SQLite: the write lock now, before the read below
    if inserts:
        names = [name for name in inserts[0] if name != "badge_number"]
        first_free = next_badge_number(event)
        db.session.execute(insert(Attendee.__table__).from_select(
            [*names, "badge_number"],
            select(*(staged[name] for name in names), staged.position + first_free)
            .where(staged.import_key == key, staged.attendee_id.is_(None))))
    if updates:
        db.session.execute(update(Attendee.__table__)
                           .values({name: staged[name] for name in updates[0] if name != "id"})
                           .where(Attendee.__table__.c.id == staged.attendee_id, staged.import_key == key))
    for start in range(0, len(removed_ids), 500):
        db.session.execute(delete(Attendee).where(Attendee.id.in_(removed_ids[start:start + 500]))
                           .execution_options(synchronize_session=False))


def _unstage(key: str) -> None:
    """Delete an import's staged rows (after the move, or after a failure), and any a killed
    process left behind more than a day ago."""
    staged = attendee_import_rows.c
    stale = utcnow() - dt.timedelta(seconds=PENDING_MAX_AGE_S)
    try:
        db.session.execute(delete(attendee_import_rows).where(or_(staged.import_key == key, staged.updated_at < stale)))
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("staged import rows %s were not deleted", key)


def _import_writes(event: Event, plan: ImportPlan
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[int]]:
    """The rows to insert, the updates by primary key and the ids to delete (reads only)."""
    badge = next_badge_number(event)
    now = utcnow()
    inserts = [{"event_id": event.id, "ext_id": a.id, "badge_number": badge + i, "source": AttendeeSource.IMPORT,
                **new_codes(), "created_at": now,
                "updated_at": now, **domain_values(a)} for i, a in enumerate(plan.added)]
    stored: dict[str, int] = dict(db.session.execute(
        attendees_of(event.id, Attendee.ext_id, Attendee.id)).all())
    updates = [{"id": stored[a.id], "updated_at": now, **domain_values(a)} for a, _changed in plan.updated]
    return inserts, updates, [row.id for row in plan.removed]


# ---- pending imports: the parsed file waits server-side between preview and commit


def _pending_dir() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _attendee_to_json(a: DomainAttendee) -> dict[str, Any]:
    data = asdict(a)
    data["available_rounds"] = None if a.available_rounds is None else sorted(a.available_rounds)
    return data


def _attendee_from_json(data: dict[str, Any]) -> DomainAttendee:
    rounds = data.get("available_rounds")
    return DomainAttendee(
        **{**data,
           "offers": tuple(data.get("offers", ())), "seeks": tuple(data.get("seeks", ())),
           "must_meet": tuple(data.get("must_meet", ())), "avoid": tuple(data.get("avoid", ())),
           "available_rounds": None if rounds is None else frozenset(rounds)}
    )


@dataclass
class PendingImport:
    event_id: int
    filename: str
    attendees: list[DomainAttendee]
    warnings: list[RowError]
    remove_missing: bool


def store_pending(event: Event, filename: str, attendees: list[DomainAttendee],
                  warnings: list[RowError], remove_missing: bool) -> str:
    """Write a parsed file to ``instance/imports/<key>.json`` and return the random key (which
    goes into the signed session; the data itself is too big and too personal for a cookie)."""
    _purge_old_pending()
    key = secrets.token_urlsafe(24)
    payload = {
        "event_id": event.id, "filename": filename, "remove_missing": remove_missing,
        "attendees": [_attendee_to_json(a) for a in attendees],
        "warnings": [asdict(w) for w in warnings],
    }
    path = _pending_dir() / f"{key}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle)
    return key


def load_pending(key: str | None, event: Event) -> PendingImport | None:
    """The pending import stored under ``key`` for this event, or ``None`` (expired, unknown)."""
    if not key or not _PENDING_KEY.match(key):
        return None
    path = _pending_dir() / f"{key}.json"
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if payload.get("event_id") != event.id:
        return None
    return PendingImport(
        event_id=payload["event_id"], filename=payload["filename"],
        attendees=[_attendee_from_json(a) for a in payload["attendees"]],
        warnings=[RowError(**w) for w in payload["warnings"]],
        remove_missing=bool(payload["remove_missing"]),
    )


def discard_pending(key: str | None) -> None:
    if key and _PENDING_KEY.match(key):
        (_pending_dir() / f"{key}.json").unlink(missing_ok=True)


@event_deleted.connect
def _discard_pending_of_deleted(_sender: Any, *, event_id: int, **_: Any) -> None:
    discard_pending_for_event(event_id)


@collect_figures.connect
def _attendee_figures(_sender: Any, *, event: Event, **_: Any) -> list[EventFigure]:
    """The attendees and check-ins on the event's overview and its deletion page."""
    people = db.session.scalar(attendees_of(event.id, func.count())) or 0
    here = checked_in_count(event.id)
    return [EventFigure("Attendees", str(people), 10, erased=(
                f"{plural(people, 'attendee')} with their names, companies and e-mail addresses "
                "(their personal links and badge QR codes stop working)")),
            EventFigure("Checked in", str(here), 20, erased=plural(here, "check-in"))]


def discard_pending_for_event(event_id: int) -> None:
    """Remove every import of ``event_id`` still waiting for confirmation (the event is being
    deleted: its files hold personal data, and a new event may later get the same id)."""
    for path in _pending_dir().glob("*.json"):
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("event_id") == event_id:
                path.unlink()
        except (OSError, ValueError):
            continue


def _purge_old_pending() -> None:
    cutoff = time.time() - PENDING_MAX_AGE_S
    for path in _pending_dir().glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass
