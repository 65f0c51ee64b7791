"""Shared data and PDF inspection helpers for the printing tests: an international event built
from domain objects, and functions that rasterise pages, decode QR codes and extract text the way
a person holding the printout would read it."""

from __future__ import annotations

import datetime as dt
import io

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from scheduler.domain import Attendee, Break, EventInfo, Meeting, Schedule, Timetable

NAMES = [
    ("Zoë Åström", "EMEA"), ("Ελένη Παπαδοπούλου", "EMEA"), ("Дмитрий Иванов", "EMEA"),
    ("محمد بن سلمان", "EMEA"), ("王小明", "APAC"), ("山田 太郎", "APAC"), ("김민준", "APAC"),
    ("João Gonçalves", "LATAM"), ("Bob Smith", "NA"), ("Ana María Núñez", "LATAM"),
]


def make_attendees() -> list[Attendee]:
    people = []
    for i, (name, region) in enumerate(NAMES, start=1):
        company = "<b>Smith & Sons</b>" if i == 9 else f"Company {i} Ltd"
        people.append(Attendee(id=f"P{i:03d}", name=name, company=company, region=region,
                               partner_type=("Reseller", "ISV", "MSP")[i % 3],
                               offers=("Cloud migration", "Security", "Data & AI", "Identity"),
                               seeks=("Hosting",),
                               available_rounds=frozenset({1, 2, 3}) if i == 10 else None))
    return people


def make_schedule(attendees: list[Attendee], rounds: int = 6) -> Schedule:
    """Rotating pairs on four tables; two people sit out each round."""
    ids = [a.id for a in attendees]
    meetings = []
    for r in range(1, rounds + 1):
        order = ids[r % len(ids):] + ids[:r % len(ids)]
        for t in range(4):
            meetings.append(Meeting(r, t + 1, order[2 * t], order[2 * t + 1], reason=f"pair reason {r}-{t + 1}"))
    return Schedule(rounds=rounds, tables=4, meetings=tuple(meetings))


@pytest.fixture
def attendees() -> list[Attendee]:
    return make_attendees()


@pytest.fixture
def schedule(attendees: list[Attendee]) -> Schedule:
    return make_schedule(attendees)


@pytest.fixture
def event() -> EventInfo:
    timetable = Timetable(start=dt.datetime(2026, 5, 4, 14, 0), round_minutes=8, changeover_minutes=2,
                          rounds=6, breaks=(Break(after_round=3, minutes=15),))
    return EventInfo(name="Partner Summit 2026", timetable=timetable, venue="Hall B",
                     table_labels=("A1", "A2", "B1", "B2"))


def page_count(pdf: bytes) -> int:
    return len(pdfium.PdfDocument(pdf))


def page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def render_page(pdf: bytes, index: int = 0, scale: float = 3.0) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    return document[index].render(scale=scale).to_pil().convert("L")


def decode_qr_texts(image: Image.Image) -> list[str]:
    return sorted(result.text for result in zxingcpp.read_barcodes(image))


def to_bytes(render, *args, **kwargs) -> bytes:
    """Call a renderer with an io.BytesIO target (its last positional argument), as the web
    app's download buttons will."""
    buffer = io.BytesIO()
    render(*args, buffer, **kwargs)
    return buffer.getvalue()
