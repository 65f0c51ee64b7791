"""A live speednet server and Chromium for the end-to-end browser tests.

Both are package-scoped: Playwright's sync API allows one instance per thread, so Chromium is
closed before other suites' browser tests start their own.

* ``live``: one app for this package (temp instance folder and SQLite file, migrations
  applied by ``create_app``, CSRF on), served by werkzeug on 127.0.0.1 with a free port in a
  thread, with an organiser account. ``live.url(path)``; ``live.context()`` opens an app
  context for reading or seeding the database from the test.
* ``chromium``: Debian's Chromium. ``open_page(**context_options)``: a fresh browser
  context (own cookies) and page that records console errors and uncaught script errors;
  ``csp_errors(page)`` / ``script_errors(page)`` read them back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from tests.support.browser import chromium_browser, serve_in_thread
from tests.web.conftest import accounts_join_every_event
from web import create_app
from web.auth.services import create_user
from web.extensions import db

ORGANISER_EMAIL = "organiser@example.com"
PASSWORD = "correct horse battery"
TIMEZONE = "Europe/Amsterdam"
START = dt.datetime(2031, 6, 12, 14, 0)  # local wall-clock start of round 1


@dataclass
class Live:
    app: Flask
    base: str

    def url(self, path: str) -> str:
        return self.base + path

    @contextmanager
    def context(self) -> Iterator[None]:
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()


@pytest.fixture(scope="package")
def live(tmp_path_factory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("browser")
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(folder / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'browser.db'}",
        "SECRET_KEY": "browser-test-secret-key",
        "WTF_CSRF_ENABLED": True,
        "PROPAGATE_EXCEPTIONS": False,  # a crash is a 500 page, as a user would see it
    })
    with app.app_context():
        create_user(ORGANISER_EMAIL, PASSWORD, "organiser")
        db.session.remove()
    try:
        with accounts_join_every_event(), serve_in_thread(app) as base:
            yield Live(app, base)
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    with chromium_browser() as browser:
        yield browser


_CONSOLE: dict[int, list[str]] = {}
_SCRIPT: dict[int, list[str]] = {}


@pytest.fixture
def open_page(chromium) -> Iterator[Callable[..., Any]]:
    """``open_page(viewport=..., ...)`` -> a page in a fresh context; closed after the test."""
    contexts = []

    def factory(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("accept_downloads", True)
        context = chromium.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        console: list[str] = []
        script: list[str] = []
        _CONSOLE[id(page)] = console
        _SCRIPT[id(page)] = script
        page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: script.append(str(exc)))
        return page

    yield factory
    for context in contexts:
        for page in context.pages:
            _CONSOLE.pop(id(page), None)
            _SCRIPT.pop(id(page), None)
        context.close()


def csp_errors(page: Any) -> list[str]:
    """Console errors about the Content Security Policy seen by ``page`` so far."""
    return [m for m in _CONSOLE.get(id(page), []) if "content security policy" in m.lower()]


def script_errors(page: Any) -> list[str]:
    """Uncaught JavaScript exceptions on ``page`` so far."""
    return list(_SCRIPT.get(id(page), []))
