"""The job pages' figures are written once, on the server (the page and its script show them)."""

from __future__ import annotations

from web.schedules.planning import progress_text


def test_figures_are_formatted_once_and_unreported_ones_are_empty():
    text = progress_text({"status": "running", "cancel_requested": False, "finished": False, "progress": {
        "phase": "placing", "rounds_placed": 3, "rounds_total": 8, "score": 41.26, "percent_of_bound": None,
        "elapsed": 2.04, "agendas_changed": 4, "meetings_moved": 0}})
    assert text["rounds"] == "3 of 8" and text["score"] == "41.3" and text["elapsed"] == "2.0 s"
    assert text["percent"] == "" and text["agendas"] == "4" and text["moved"] == "0"


def test_a_job_just_queued_shows_its_defaults_and_a_stop_asked_for():
    text = progress_text({"status": "running", "cancel_requested": True, "finished": False, "progress": {}})
    assert text["phase"] == "starting" and text["rounds"] == "0 of ?" and text["elapsed"] == "—"
    assert "stopping" in text["status"] and text["score"] == ""
