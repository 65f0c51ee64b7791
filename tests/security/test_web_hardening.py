"""CSRF, sign-in rate limit, cookies, security headers, CSP-clean templates, escaped user text,
formula-safe exports, unguessable tokens and noindex personal pages, checked on the routes
found on the URL map."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import secrets
from pathlib import Path

import pytest
import time_machine

from tests.security._html import csp_violations, live_regions, unlabelled_fields, visible_text
from tests.security.conftest import (
    DISPLAY_ENDPOINTS,
    EXPORT_ENDPOINTS,
    FORMULAS,
    MARKUP,
    PAYLOADS,
    PERSONAL_PAGE_ENDPOINT,
    UNSAFE_METHODS,
    XSS_IMG,
    XSS_SCRIPT,
    expected_rules,
    is_public,
    routes,
    url_for_rule,
)
from tests.web.conftest import ORGANISER_EMAIL, PASSWORD

HTML = "text/html"


def _get_pages(world):
    """GET every GET route: protected ones as the organiser, public ones as a visitor; plus
    error pages. Returns [(label, response)]."""
    pages = []
    for rule in routes(world.app):
        if "GET" not in rule.methods:
            continue
        url = url_for_rule(rule, world)
        client = world.anonymous if is_public(rule) and not rule.rule.startswith("/login") else world.organiser
        pages.append((f"GET {url}", client.get(url)))
    pages.append(("GET /no-such-page", world.anonymous.get("/no-such-page")))
    pages.append(("GET /api/v1/no-such-endpoint", world.anonymous.get("/api/v1/no-such-endpoint")))
    pages.append(("DELETE /login", world.anonymous.delete("/login")))
    pages.append(("GET /console/no-such-event/", world.organiser.get("/console/no-such-event/")))
    return pages


@pytest.fixture(scope="module")
def pages(world):
    return _get_pages(world)


@pytest.mark.slow
def test_no_page_crashes(pages):
    crashed = [f"{label} -> 500" for label, response in pages if response.status_code >= 500]
    assert not crashed, "\n".join(crashed)


# ------------------------------------------------------------------------------------ (a) CSRF


def test_every_form_post_outside_the_api_needs_a_csrf_token(world):
    checked, failures = 0, []
    for rule in routes(world.app):
        if rule.rule.startswith("/api/"):
            continue  # bearer tokens, no cookies: nothing for a forged request to ride on
        for method in sorted((rule.methods or set()) & UNSAFE_METHODS):
            url = url_for_rule(rule, world)
            response = world.organiser.open(url, method=method, data={"name": "forged"})
            checked += 1
            if response.status_code != 400:
                failures.append(f"{method} {url} -> {response.status_code}")
    assert checked >= 8, "the console has forms; the URL walk found too few"
    assert not failures, "accepted without a CSRF token:\n" + "\n".join(failures)


def test_every_post_form_is_written_by_the_form_macro():
    """A POST form written by hand can forget its CSRF field; ``post_form`` (and
    ``post_button``) in _forms.html write it, so no other template opens a POST form or
    writes a CSRF field itself."""
    root = Path(__file__).resolve().parents[2] / "web"
    templates = sorted(root.glob("templates/*.html")) + sorted(root.glob("*/templates/**/*.html"))
    assert len(templates) > 20
    failures = []
    for path in templates:
        if path.name == "_forms.html":
            continue
        text = path.read_text()
        for pattern in (r'<form\b[^>]*method="post"', r'name="csrf_token"', r"\.hidden_tag\(\)",
                        r"form\.csrf_token\b"):  # (a csrf-token <meta> for scripts is fine)
            failures += [f"{path.relative_to(root)}: {m.group(0)}" for m in re.finditer(pattern, text, re.I)]
    assert not failures, "write POST forms with post_form/post_button:\n" + "\n".join(failures)


def test_a_token_from_another_session_is_refused(world):
    from tests.security._csrf import token_of

    foreign = token_of(world.staff)
    response = world.organiser.post(f"/console/{world.slug}/attendees/{world.xss.id}/remove",
                                    data={"csrf_token": foreign})
    assert response.status_code == 400
    assert world.organiser.get(f"/console/{world.slug}/attendees/").status_code == 200


# ------------------------------------------------------------------------------ (c) rate limit


def test_sign_in_is_rate_limited(world):
    from tests.security._csrf import token_of

    client = world.app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"  # a fresh address for the per-address limit
    token = token_of(client)
    codes = [client.post("/login", data={"csrf_token": token, "email": ORGANISER_EMAIL,
                                         "password": "wrong password"}).status_code for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429], codes  # 10 a minute per address
    # Even the right password waits now: guessing cannot continue at full speed.
    right = client.post("/login", data={"csrf_token": token, "email": ORGANISER_EMAIL, "password": PASSWORD})
    assert right.status_code == 429
    assert "Too many sign-in attempts" in right.get_data(as_text=True)


# -------------------------------------------------------------------------------- (d) cookies


def test_session_and_remember_cookies_are_httponly_and_samesite(world):
    from tests.security._csrf import token_of

    client = world.app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.8"  # a fresh address for the per-address limit
    response = client.post("/login", data={"csrf_token": token_of(client), "email": ORGANISER_EMAIL,
                                           "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies, "signing in sets a cookie"
    for cookie in cookies:
        assert "HttpOnly" in cookie, cookie
        assert re.search(r"SameSite=(Lax|Strict)", cookie), cookie


# ------------------------------------------------------------------------- (e) security headers


def test_security_headers_on_html_json_pdf_and_error_responses(pages):
    kinds, failures = set(), []
    for label, response in pages:
        kinds.add((response.mimetype, response.status_code >= 400))
        csp = response.headers.get("Content-Security-Policy", "")
        directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
        script_src = directives.get("script-src") or directives.get("default-src", "")
        problems = []
        if not script_src or "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
            problems.append(f"script-src {script_src!r}")
        if directives.get("frame-ancestors") != "frame-ancestors 'none'":
            problems.append("frame-ancestors not 'none'")
        if response.headers.get("X-Content-Type-Options") != "nosniff":
            problems.append("no nosniff")
        if problems:
            failures.append(f"{label} ({response.status_code} {response.mimetype}): {', '.join(problems)}")
    assert ("text/html", False) in kinds and ("text/html", True) in kinds
    assert ("application/json", False) in kinds and ("application/json", True) in kinds
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- (f) templates honour the CSP


API_DOCS = ("GET /api/v1/docs", "GET /docs/oauth2-redirect")


def test_rendered_pages_have_no_inline_scripts_handlers_or_styles(pages):
    html_pages = [(label, r) for label, r in pages if r.mimetype == HTML and label not in API_DOCS]
    assert len(html_pages) >= 8
    failures = []
    for label, response in html_pages:
        for problem in csp_violations(response.get_data(as_text=True)):
            failures.append(f"{label}: {problem}")
    assert not failures, "\n".join(failures)


def test_live_regions_hold_announcements_not_sections(pages):
    """A screen reader reads a live region out whole each time it changes: live regions carry
    one announcement (a scan's answer, a job's end, a new round) as plain text, never a
    section whose figures or countdown change every second."""
    html_pages = [(label, r) for label, r in pages if r.mimetype == HTML and label not in API_DOCS]
    found, failures = set(), []
    for label, response in html_pages:
        regions, with_markup = live_regions(response.get_data(as_text=True))
        found.update(regions)
        failures += [f"{label}: {region} holds markup" for region in with_markup]
    assert {"<p id=job-announce>", "<p id=now-next-announce>"} <= found, sorted(found)
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_every_form_field_has_a_visible_label(pages):
    """Every input, select and textarea on every page is named by a <label> a person can read
    (and a screen reader can announce)."""
    html_pages = [(label, r) for label, r in pages if r.mimetype == HTML and label not in API_DOCS]
    forms = [(label, r) for label, r in html_pages if "<form" in r.get_data(as_text=True)]
    assert len(forms) >= 8
    failures = [f"{label}: {field}" for label, response in forms
                for field in unlabelled_fields(response.get_data(as_text=True))]
    assert not failures, "\n".join(failures)


def test_api_docs_page_works_under_the_csp(pages):
    """The Swagger UI page is served with the same CSP as every page, so an inline bootstrap
    script or CDN assets leave it blank in a browser."""
    failures = []
    for label, response in pages:
        if label in API_DOCS and response.mimetype == HTML:
            body = response.get_data(as_text=True)
            failures += [f"{label}: {p}" for p in csp_violations(body)]
            failures += [f"{label}: loads {m}" for m in re.findall(r'(?:src|href)="(https?://[^"]+)"', body)]
    assert not failures, "\n".join(failures)


def test_template_sources_have_no_inline_scripts_or_handlers():
    """The same rule on the template files, so branches the walk did not render are covered."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "web"
    failures = []
    for template in sorted(root.rglob("templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b(?![^>]*\bsrc=)[^>]*>", text):
            failures.append(f"{template.relative_to(root)}: {match.group(0)}")
        for match in re.finditer(r"<[a-zA-Z][^>]*\s(on[a-z]+)\s*=", text):
            failures.append(f"{template.relative_to(root)}: {match.group(1)}= handler")
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------- (g) user text stays text


def test_payloads_are_escaped_on_every_html_page(pages):
    failures = []
    for label, response in pages:
        if response.mimetype != HTML:
            continue
        body = response.get_data(as_text=True)
        for raw in (XSS_SCRIPT, "<img src=x onerror", MARKUP):
            if raw in body:
                failures.append(f"{label}: {raw!r} appears unescaped")
    assert not failures, "\n".join(failures)


def test_attendee_list_shows_the_payloads_literally(world):
    page = world.organiser.get(f"/console/{world.slug}/attendees/")
    assert page.status_code == 200
    text = visible_text(page.get_data(as_text=True))
    for payload in PAYLOADS:
        assert payload in text
    assert html.escape(XSS_SCRIPT, quote=False) in page.get_data(as_text=True)


def _personal_page_rule(world):
    (rule,) = expected_rules(world.app, [PERSONAL_PAGE_ENDPOINT])
    return rule


def _display_rules(world):
    return expected_rules(world.app, DISPLAY_ENDPOINTS, [
        r for r in routes(world.app) if r.rule.startswith("/display/") and "GET" in r.methods])


def test_personal_page_shows_name_and_partners_literally(world):
    rule = _personal_page_rule(world)
    page = world.anonymous.get(url_for_rule(rule, world))
    assert page.status_code == 200
    text = visible_text(page.get_data(as_text=True))
    assert XSS_SCRIPT in text  # the attendee's own name
    assert XSS_IMG in text or MARKUP in text  # a partner from the published schedule


# Round 1 of the seeded event is running (names show on the display only once a round is announced).
DURING_ROUND_1 = dt.datetime(2031, 6, 12, 12, 3, tzinfo=dt.UTC)


def test_display_pages_escape_names(world):
    for rule in _display_rules(world):
        with time_machine.travel(DURING_ROUND_1):
            response = world.anonymous.get(url_for_rule(rule, world))
        assert response.status_code == 200, rule.rule
        if response.mimetype == HTML:
            assert html.escape(XSS_SCRIPT, quote=False) in response.get_data(as_text=True), rule.rule
        if response.mimetype == HTML:
            assert not csp_violations(response.get_data(as_text=True)), rule.rule
        elif response.is_json:
            assert "<script>" not in response.get_data(as_text=True) or XSS_SCRIPT in str(response.get_json())


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return " ".join(re.sub(r"\s+", " ", page.extract_text() or "") for page in reader.pages)


def test_printed_badges_and_agendas_show_payloads_literally(world):
    printed = {}
    for rule in routes(world.app):
        if "GET" not in rule.methods or "print" not in rule.rule and not rule.rule.endswith(".pdf"):
            continue
        url = url_for_rule(rule, world)
        client = world.anonymous if is_public(rule) else world.organiser
        response = client.get(url)
        if response.mimetype == "application/pdf":
            printed[url] = _pdf_text(response.data)
    badges = [u for u in printed if "badge" in u]
    agendas = [u for u in printed if "agenda" in u]
    assert badges and agendas, f"expected badge and agenda PDFs among {sorted(printed)}"
    for url in badges + agendas:
        for name in (XSS_SCRIPT, XSS_IMG, MARKUP):
            one_person = url.startswith("/me/") or f"/{world.xss.ext_id}" in url or world.xss.token in url
            if one_person and name != XSS_SCRIPT:
                continue  # one person's badge or agenda: their own name is the payload printed
            assert name in printed[url], f"{name!r} not printed literally in {url}"


# -------------------------------------------------------------------- (h) spreadsheet exports


def _export_rules(world):
    return expected_rules(world.app, EXPORT_ENDPOINTS, [
        r for r in routes(world.app) if "GET" in r.methods and not r.rule.startswith("/static")
        and re.search(r"export|\.csv|\.xlsx|<fmt>|<format>|download", r.rule + r.endpoint)])


def _cells(response):
    if response.mimetype in ("text/csv", "application/csv") or response.headers.get(
            "Content-Disposition", "").rstrip('"').endswith(".csv"):
        text = response.data.decode("utf-8-sig")
        return [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    if "spreadsheetml" in response.mimetype:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.data))
        return [c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                for c in row if isinstance(c, str)]
    return None


def test_csv_and_xlsx_exports_neutralise_formulas(world):
    rules = _export_rules(world)
    exported: set[str] = set()
    failures = []
    for rule in rules:
        for fmt in ("csv", "xlsx"):
            url = url_for_rule(rule, world, fmt=fmt, format=fmt)
            client = world.anonymous if is_public(rule) else world.organiser
            response = client.get(url)
            cells = _cells(response) if response.status_code == 200 else None
            if cells is None:
                continue
            exported.add(rule.endpoint)
            for cell in cells:
                if cell[:1] in ("=", "+", "-", "@"):
                    try:
                        float(cell)
                    except ValueError:
                        failures.append(f"{url}: {cell!r}")
            joined = "\n".join(cells)
            if "N1" in joined or "Ada Lovelace" in joined:  # an attendee export: our payloads are in it
                assert "'" + FORMULAS[0] in cells, f"{url} lost or mangled a formula-like name"
    silent = sorted(set(EXPORT_ENDPOINTS) - exported)
    assert not silent, f"exports that gave no CSV or XLSX to check: {silent}"
    assert not failures, "cells a spreadsheet would evaluate:\n" + "\n".join(failures)


# ------------------------------------------------------------------------------- (i) tokens


def test_personal_tokens_are_long_random_and_distinct_from_checkin_codes(world):
    tokens = [a.token for a in world.attendees]
    codes = [a.checkin_code for a in world.attendees]
    assert len(set(tokens)) == len(tokens) and len(set(codes)) == len(codes)
    for token, code in zip(tokens, codes):
        # base64url: 6 bits per character
        assert len(token.rstrip("=")) * 6 >= 128 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
        assert len(code.rstrip("=")) * 6 >= 128
        assert token != code and token not in codes and code not in tokens


def test_wrong_personal_tokens_are_indistinguishable(world):
    rule = _personal_page_rule(world)
    real = world.xss
    guesses = [secrets.token_urlsafe(32), real.token[:-1] + ("A" if real.token[-1] != "A" else "B"),
               real.token.upper() if real.token.upper() != real.token else real.token.lower(),
               real.checkin_code, "x", "0" * 43]
    responses = [world.anonymous.get(url_for_rule(rule, world, token=g)) for g in guesses]
    for guess, response in zip(guesses, responses):
        assert response.status_code == 404, guess
    bodies = {r.get_data(as_text=True) for r in responses}
    assert len(bodies) == 1, "a wrong token's page must not tell which part was wrong"
    # The rate-limit headers count this client's requests (the same for any token).
    varying = ("content-length", "date", "set-cookie", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after")
    assert {tuple(sorted((k, v) for k, v in r.headers if k.lower() not in varying))
            for r in responses}.__len__() == 1
    assert world.anonymous.get(url_for_rule(rule, world)).status_code == 200


# ------------------------------------------------------------------------------ (j) noindex


def test_personal_pages_are_not_indexed(world):
    rule = _personal_page_rule(world)
    urls = [url_for_rule(r, world) for r in routes(world.app)
            if r.rule.startswith("/me/") and "GET" in r.methods]
    assert url_for_rule(rule, world) in urls
    for url in urls:
        response = world.anonymous.get(url)
        if response.status_code != 200:
            continue
        assert "noindex" in response.headers.get("X-Robots-Tag", ""), url
        if response.mimetype == HTML:
            assert re.search(r'<meta name="robots" content="[^"]*noindex', response.get_data(as_text=True)), url
