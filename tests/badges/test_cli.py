"""`python -m badges` end to end, as an organiser runs it on the scheduler's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from badges.cli import main
from badges.tokens import derive_token, parse_key
from scheduler.importer import write_attendee_file
from tests.badges.conftest import decode_qr_texts, make_attendees, make_schedule, page_count, page_texts, render_page
from tests.support.cli import Finished, run_main, run_module
from tests.support.text import missing_facts

KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"      # base32, 160 bits


def run(*args: str, key: str | None = None) -> Finished:
    """``main`` in this process, with ``SPEEDNET_TOKEN_KEY`` set to ``key`` (or unset)."""
    return run_main(main, *args, env={"SPEEDNET_TOKEN_KEY": key})


@pytest.fixture
def attendee_file(tmp_path: Path) -> Path:
    path = tmp_path / "attendees.csv"
    write_attendee_file(make_attendees(), path, "csv")
    return path


def test_badges_with_tokens_file_carry_those_tokens(tmp_path, attendee_file) -> None:
    tokens = tmp_path / "tokens.csv"
    tokens.write_text("id,token\n" + "".join(f"P{i:03d},T-{i:03d}-x7Yq\n" for i in range(1, 11)))
    out = tmp_path / "badges.pdf"
    result = run("badges", str(attendee_file), "--out", str(out), "--layout", "avery-5392", "--crop-marks",
                 "--tokens", str(tokens))
    assert result.returncode == 0, result.stderr
    pdf = out.read_bytes()
    assert page_count(pdf) == 2
    decoded = decode_qr_texts(render_page(pdf, 0, 2)) + decode_qr_texts(render_page(pdf, 1, 2))
    assert sorted(decoded) == [f"T-{i:03d}-x7Yq" for i in range(1, 11)]


def test_badges_derive_tokens_from_the_key(tmp_path, attendee_file) -> None:
    out = tmp_path / "badges.pdf"
    result = run("badges", str(attendee_file), "--out", str(out), "--layout", "a4-10", key=KEY)
    assert result.returncode == 0, result.stderr
    assert "cannot be checked in" not in result.stderr
    pdf = out.read_bytes()
    assert page_count(pdf) == 1
    expected = {derive_token(a.id, parse_key(KEY)): a.id for a in make_attendees()}
    decoded = decode_qr_texts(render_page(pdf, 0, 3))
    assert sorted(expected[t] for t in decoded) == sorted(expected.values())


def test_without_key_or_tokens_it_warns(tmp_path, attendee_file) -> None:
    result = run("badges", str(attendee_file), "--out", str(tmp_path / "b.pdf"))
    assert result.returncode == 0
    assert not missing_facts(result.stderr, "cannot be checked in")  # a warning, and still a PDF (exit 0)


def test_bad_inputs_exit_non_zero_with_a_clear_message(tmp_path, attendee_file) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\nP1,Someone\n")
    result = run("badges", str(bad), "--out", str(tmp_path / "b.pdf"), key=KEY)
    assert result.returncode == 2 and not missing_facts(result.stderr, "bad.csv")
    assert "Traceback" not in result.stderr
    result = run("badges", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "b.pdf"), key=KEY)
    assert result.returncode == 2 and "no such file" in result.stderr
    result = run("badges", str(attendee_file), "--out", str(tmp_path / "b.pdf"), key="short")
    assert result.returncode == 2 and "SPEEDNET_TOKEN_KEY" in result.stderr
    tokens = tmp_path / "tokens.csv"
    tokens.write_text("id,token\nP001,abc\n")
    result = run("badges", str(attendee_file), "--out", str(tmp_path / "b.pdf"), "--tokens", str(tokens))
    assert result.returncode == 2 and not missing_facts(result.stderr, "no token", "9 attendee(s)")


def test_checkin_list(tmp_path, attendee_file) -> None:
    out = tmp_path / "checkin.pdf"
    result = run("checkin-list", str(attendee_file), "--out", str(out), "--event-name", "Summit")
    assert result.returncode == 0, result.stderr
    text = page_texts(out.read_bytes())[0]
    assert "Summit" in text and "#0001" in text and "Bob Smith" in text


def test_agendas_and_table_sheets_from_a_schedule_file(tmp_path, attendee_file) -> None:
    schedule_io = pytest.importorskip("scheduler.schedule_io")
    attendees = make_attendees()
    schedule = make_schedule(attendees)
    schedule_file = tmp_path / "schedule.csv"
    schedule_io.write_schedule_csv(schedule, attendees, schedule_file)
    timing = ["--start", "2026-05-04T14:00", "--round-minutes", "8", "--changeover-minutes", "2",
              "--event-name", "Partner Summit", "--venue", "Hall B"]
    out = tmp_path / "agendas.pdf"
    result = run("agendas", str(attendee_file), str(schedule_file), "--out", str(out), *timing, key=KEY)
    assert result.returncode == 0, result.stderr
    texts = page_texts(out.read_bytes())
    assert len(texts) == len(attendees)
    assert "Partner Summit" in texts[0] and "14:00\u201314:08" in texts[0]
    out = tmp_path / "tables.pdf"
    result = run("tables", str(attendee_file), str(schedule_file), "--out", str(out), *timing)
    assert result.returncode == 0, result.stderr
    assert page_count(out.read_bytes()) == schedule.tables
    result = run("agendas", str(attendee_file), str(schedule_file), "--out", str(out), "--start", "tomorrow")
    assert result.returncode == 2 and "--start" in result.stderr


@pytest.mark.slow
def test_python_m_badges_runs_as_a_program(tmp_path, attendee_file) -> None:
    """The one real process: the entry point, its exit status and its streams."""
    out = tmp_path / "checkin.pdf"
    result = run_module("badges", "checkin-list", str(attendee_file), "--out", str(out), "--event-name", "Summit",
                        env={"SPEEDNET_TOKEN_KEY": None})
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout and page_count(out.read_bytes()) >= 1
    failed = run_module("badges", "badges", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "b.pdf"),
                        env={"SPEEDNET_TOKEN_KEY": KEY})
    assert failed.returncode == 2 and "no such file" in failed.stderr and "Traceback" not in failed.stderr
