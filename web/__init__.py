"""speednet web application (Flask application factory).

``create_app()`` is the only way to get an app: gunicorn (``gunicorn 'web:create_app()'``),
the dev server (``python -m web.devserver``), the CLI (``flask --app web ...``) and the tests
all go through it. See the web section of docs/architecture.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, cast

from apiflask import APIFlask, HTTPError
from flask import Flask, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix

from web.config import config_from_env, load_or_create_secret_key
from web.database import (
    MIGRATIONS_DIR,
    engine_options,
    install_sqlite_pragmas,
    is_lock_timeout,
    private_sqlite_file,
    sqlite_file_of,
    upgrade_database,
)
from web.extensions import csrf, db, limiter, login_manager, migrate
from web.logs import install_redaction

API_PREFIX = "/api/"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a configured app: environment first, then ``config`` (tests pass overrides here).

    ``INSTANCE_PATH`` (config) or ``SPEEDNET_INSTANCE_PATH`` (environment) moves the instance
    folder (secret key, SQLite file, pending imports) away from ``./instance``.

    Unless ``SPEEDNET_AUTO_MIGRATE`` is false the database schema is upgraded to the newest
    revision before the app is returned (under a cross-process lock).
    """
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("SPEEDNET_INSTANCE_PATH")
    app = APIFlask(
        __name__,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
        title="speednet API",
        version="1.0",
        spec_path="/api/v1/openapi.json",
        # No Swagger UI: it loads from a CDN, which the CSP forbids. openapi.json is the reference.
        docs_path=None,
        # HTML pages keep HTML error pages; _register_error_pages() answers JSON under /api/.
        json_errors=False,
        instance_relative_config=True,
    )
    app.config.update(config_from_env(app.instance_path))
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"],
                                                    float(app.config.get("DB_LOCK_TIMEOUT", 15)))
    )
    _trust_proxies(app)
    install_redaction(app.logger)  # no personal token or display key in any request log line

    _init_extensions(app)
    _register_blueprints(app)
    _register_error_pages(app)
    _register_security_headers(app)
    _register_wording(app)
    _register_cli(app)

    if app.config.get("SPEEDNET_AUTO_MIGRATE", True):
        upgrade_database(app)
    _connect_queue(app)
    _connect_mail(app)
    return app


def _connect_queue(app: Flask) -> None:
    """The task queue that carries jobs and e-mail to the worker processes (web.jobs.queue);
    under TESTING a consumer in threads of the test process stands in for the worker."""
    from web.jobs import recover_at_startup
    from web.jobs.queue import init_queue

    app.config.setdefault("QUEUE_IN_PROCESS_WORKER", app.testing)
    init_queue(app)
    recover_at_startup(app)


def _register_wording(app: Flask) -> None:
    """Templates count and list names with the code's words (:mod:`web.wording`):
    ``{{ n|plural('attendee') }}``, ``{{ names|names_and_more }}``."""
    from web.wording import names_and_more, plural

    app.add_template_filter(plural)
    app.add_template_filter(names_and_more)


def _trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, take the client's address (rate limits,
    logs), scheme and host from the headers they add. With 0 the headers are ignored: anyone
    can send X-Forwarded-For, so trusting it without a proxy would let a client pick its key."""
    proxies = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,  # type: ignore[method-assign]
                                x_host=proxies, x_prefix=proxies)


def _connect_mail(app: Flask) -> None:
    """Mail's delivery runs as a queue task (web.mail.delivery); publishing calls mail itself."""
    from web.mail.delivery import install

    install(app)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        database_file = sqlite_file_of(db.engine)
        if database_file:
            private_sqlite_file(database_file)  # 0600 before the first connection creates it
        install_sqlite_pragmas(db.engine)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"


def _register_blueprints(app: Flask) -> None:
    """Every feature, imported here rather than at the top: ``import web.<feature>`` runs this
    module first, and each feature must import on its own (tests/test_import_order.py)."""
    from web.attendees import bp as attendees_bp
    from web.attendees.api import bp as attendees_api_bp
    from web.auth import bp as auth_bp
    from web.checkin import bp as checkin_bp
    from web.checkin.api import api_bp as checkin_api_bp
    from web.events import bp as events_bp
    from web.events.access import require_decision
    from web.events.api import bp as events_api_bp
    from web.liveday import bp as liveday_bp
    from web.liveday import display_bp
    from web.liveday.api import api_bp as liveday_api_bp
    from web.mail import bp as mail_bp
    from web.printing import bp as printing_bp
    from web.public import bp as public_bp
    from web.results import bp as results_bp
    from web.results.audit import audit_bp
    from web.schedules import bp as schedules_bp
    from web.schedules.api import bp as schedules_api_bp
    from web.wishes import bp as wishes_bp
    from web.wishes.api import bp as wishes_api_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(attendees_bp)
    app.register_blueprint(schedules_bp)
    app.register_blueprint(checkin_bp)
    app.register_blueprint(checkin_api_bp)
    app.register_blueprint(printing_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(liveday_bp)
    app.register_blueprint(display_bp)
    app.register_blueprint(liveday_api_bp)
    app.register_blueprint(wishes_bp)
    # The API of each feature: /api/v1, one tag per feature in the OpenAPI document.
    app.register_blueprint(events_api_bp)
    app.register_blueprint(attendees_api_bp)
    app.register_blueprint(schedules_api_bp)
    app.register_blueprint(wishes_api_bp)
    app.register_blueprint(mail_bp)
    # Every answer under an event must have asked who may see it (web.events.access).
    app.after_request(require_decision)

    @app.get("/")
    def index() -> ResponseReturnValue:
        from flask_login import current_user

        from web.auth.routes import home_for

        if current_user.is_authenticated:
            return redirect(home_for(current_user))
        return redirect(url_for("events.list_events"))

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        """Liveness probe for the reverse proxy / orchestrator; touches no database."""
        return {"status": "ok"}


def _register_error_pages(app: APIFlask) -> None:
    """HTML error pages for people, JSON for API clients (paths under /api/)."""

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> ResponseReturnValue:
        if request.path.startswith(API_PREFIX):
            headers = dict(error.get_headers())
            headers.pop("Content-Type", None)
            return cast(ResponseReturnValue, app.error_callback(  # APIFlask's JSON error body
                HTTPError(error.code or 500, message=error.name, headers=headers)))
        response = error.get_response()
        response.set_data(
            render_template("errors.html", code=error.code, name=error.name,
                            description=error.description)
        )
        response.content_type = "text/html; charset=utf-8"
        return response

    @app.errorhandler(DBAPIError)
    def handle_database_error(error: DBAPIError) -> ResponseReturnValue:
        """A connection that died during the request (database restarted or failed over):
        503, try again in a second. SQLAlchemy has discarded the pool, so the retry gets a
        fresh connection; the kiosk script resends such scans with the same nonce.

        A lock another transaction held past the lock timeout (a long write on SQLite) is
        answered the same way: nothing was written, and the resent scan succeeds."""
        if is_lock_timeout(error):
            app.logger.warning("database lock timeout during %s %s; answered 503",
                               request.method, request.path)
            return handle_http_error(ServiceUnavailable(
                "The database is busy. Try again in a moment.", retry_after=1))
        if not error.connection_invalidated:
            raise error  # any other database error: Flask's usual logged 500
        app.logger.warning("database connection lost during %s %s; answered 503",
                           request.method, request.path, exc_info=error)
        return handle_http_error(ServiceUnavailable(
            "The connection to the database was reset. Try again.", retry_after=1))


# Pages behind a sign-in (the console, the door, accounts, the API) show personal data and
# personal links: no browser or proxy cache may keep them, nor the attendee's own pages (/me/,
# which also say "private, no-store" themselves). A route that sets its own Cache-Control keeps it.
PRIVATE_PREFIXES = ("/console/", "/checkin/", "/account", "/api/", "/me/")


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response):
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if request.path.startswith(PRIVATE_PREFIXES) and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def _register_cli(app: Flask) -> None:
    from web.attendees.cli import attendee_codes_cli
    from web.auth.cli import register_auth_cli
    from web.events.cli import register_events_cli
    from web.mail.cli import mail_cli
    from web.printing.cli import print_cli
    from web.schedules.privacy_cli import privacy_cli

    register_auth_cli(app)
    register_events_cli(app)
    app.cli.add_command(attendee_codes_cli)
    app.cli.add_command(print_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(privacy_cli)
