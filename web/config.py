"""Configuration read from the environment.

Every secret and every deployment-specific value comes from the environment (12-factor), so
the same code runs on a laptop (``make run``), in the tests and behind gunicorn. Nothing here
needs a request or an app context; :func:`web.create_app` merges its ``config`` argument on top.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_MAX_UPLOAD = 10 * 1024 * 1024  # attendee files are small; anything bigger is a mistake
# werkzeug's default: memory-hard, so a stolen users table is slow to crack. Deliberately not
# read from the environment; only the test fixtures pass a cheaper method to create_app().
DEFAULT_PASSWORD_HASH_METHOD = "scrypt"


def normalise_database_url(url: str) -> str:
    """Turn the URLs that hosting platforms hand out into ones SQLAlchemy 2 + psycopg 3 accept.

    ``postgres://`` was removed from SQLAlchemy long ago and ``postgresql://`` alone would pick
    psycopg2, which is not installed.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def public_base_url(value: str) -> str | None:
    """``SPEEDNET_PUBLIC_URL`` checked: the address attendees use (``https://host[/prefix]``),
    without a trailing slash; ``None`` when unset."""
    value = value.strip().rstrip("/")
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"SPEEDNET_PUBLIC_URL must look like https://networking.example.com, not {value!r}")
    return value


def load_or_create_secret_key(instance_path: str | os.PathLike[str]) -> str:
    """Return the secret key kept in ``instance/secret_key``, creating it once (mode 0600).

    Sessions must survive restarts and be shared by every gunicorn worker, so a key generated
    per process would log people out at random. Several workers may start at once: the file is
    written under a temporary name and hard-linked into place, which fails for all but one.
    """
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "secret_key"
    if not target.exists():
        tmp = folder / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(tmp, target)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    elif target.stat().st_mode & 0o777 != 0o600:
        target.chmod(0o600)  # written by an older version under the usual umask
    for _ in range(50):
        key = target.read_text().strip()
        if key:
            return key
        time.sleep(0.02)  # another process linked it a moment ago; content is already complete
    raise RuntimeError(f"{target} is empty; delete it or set SECRET_KEY")


SMTP_SECURITY_MODES = ("starttls", "ssl", "none")


def smtp_config(env: Mapping[str, str]) -> dict[str, Any]:
    """The SMTP settings, checked: a wrong value fails at start-up naming the variable, not at
    the first message. Without ``SMTP_HOST`` nothing is sent and the outbox holds the mail."""
    host = env.get("SMTP_HOST", "").strip()
    security = env.get("SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in SMTP_SECURITY_MODES:
        raise ValueError(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_MODES)}, not {security!r}")
    port_text = env.get("SMTP_PORT", "").strip() or ("465" if security == "ssl" else "587")
    if not port_text.isdecimal() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"SMTP_PORT must be a port number (1-65535), not {port_text!r}")
    timeout = _seconds_setting(env, "SMTP_TIMEOUT", 10, 300)
    sender = env.get("MAIL_FROM", "").strip()
    if host and ("@" not in sender or any(c in sender for c in "\r\n")):
        raise ValueError("MAIL_FROM must be set to the sender address (e.g. "
                         "'Partner Summit <networking@example.com>') when SMTP_HOST is set")
    return {
        "SMTP_HOST": host or None,
        "SMTP_PORT": int(port_text),
        "SMTP_USERNAME": env.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_SECURITY": security,
        "SMTP_TIMEOUT": timeout,
        "MAIL_FROM": sender,
    }


def queue_config(env: Mapping[str, str]) -> dict[str, Any]:
    """The job queue's settings (see :mod:`web.jobs.queue`): ``SPEEDNET_QUEUE_URL`` empty for
    the embedded SQLite queue in the instance folder, ``redis://...`` for workers on several
    hosts; ``SPEEDNET_WORKER_THREADS`` jobs at once per worker process (1-64, default 2: a
    solve and an e-mail delivery side by side)."""
    url = env.get("SPEEDNET_QUEUE_URL", "").strip()
    if url and not url.startswith(("redis://", "rediss://", "unix://", "sqlite:///")):
        raise ValueError("SPEEDNET_QUEUE_URL must be redis://host:port/db or sqlite:///path/queue.db, "
                         f"not {url!r}")
    threads_text = env.get("SPEEDNET_WORKER_THREADS", "").strip() or "2"
    if not threads_text.isdecimal() or not 1 <= int(threads_text) <= 64:
        raise ValueError(f"SPEEDNET_WORKER_THREADS must be a number from 1 to 64, not {threads_text!r}")
    return {"QUEUE_URL": url or None, "QUEUE_WORKER_THREADS": int(threads_text)}


def _int_setting(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole-number setting, checked at start-up so a typo fails naming the variable."""
    text = env.get(name, "").strip() or str(default)
    if not text.isdecimal() or not low <= int(text) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {text!r}")
    return int(text)


def _seconds_setting(env: Mapping[str, str], name: str, default: float, high: float) -> float:
    """A duration setting in seconds (0 < value <= high), checked at start-up naming the variable."""
    text = env.get(name, "").strip() or str(default)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= high:
        raise ValueError(f"{name} must be seconds between 0 and {high:g}, not {text!r}")
    return value


def load_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Proxy, rate-limit, database-lock and import settings (documented in the README)."""
    lock_timeout = _seconds_setting(env, "SPEEDNET_DB_LOCK_TIMEOUT", 15, 600)
    return {
        # Reverse proxies in front of the app that append to X-Forwarded-For (0 = none: the
        # header is ignored, since anyone can send it).
        "TRUSTED_PROXIES": _int_setting(env, "SPEEDNET_TRUSTED_PROXIES", 0, 0, 10),
        # Shared by every worker when it names a server (redis://host:6379); memory:// counts
        # per process.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # A sliding window: every limit counts the requests of the last minute (hour), so no
        # window boundary lets a burst of twice the limit through ("5/minute" at 10:00:59 and
        # again at 10:01:00). Memory and Redis storage both support it.
        "RATELIMIT_STRATEGY": "moving-window",
        # Per client, for the pages anyone with a link may open (personal pages, room display).
        "PUBLIC_RATE_LIMIT": env.get("SPEEDNET_PUBLIC_RATE_LIMIT", "").strip() or "300/minute",
        # How long a request waits for another's write (SQLite) before answering 503.
        "DB_LOCK_TIMEOUT": lock_timeout,
        "IMPORT_MAX_ROWS": _int_setting(env, "SPEEDNET_IMPORT_MAX_ROWS", 50_000, 1, 1_000_000),
    }


def config_from_env(instance_path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config from environment variables (documented in docs/architecture.md)."""
    env = os.environ if env is None else env
    secure = env.get("SPEEDNET_SECURE_COOKIES", "") in {"1", "true", "yes"}
    database_url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'speednet.db'}"
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or None,  # filled from instance/secret_key if unset
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", DEFAULT_MAX_UPLOAD)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "PREFERRED_URL_SCHEME": "https" if secure else "http",
        # Links that leave the site (mail-merge exports, the registration page) start with this,
        # not with whatever Host header the reverse proxy passed on.
        "PUBLIC_URL": public_base_url(env.get("SPEEDNET_PUBLIC_URL", "")),
        "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session; kiosks stay open all day
        # Apply pending migrations in create_app(); set SPEEDNET_AUTO_MIGRATE=0 to run
        # `flask --app web db upgrade` as a separate deploy step instead.
        "SPEEDNET_AUTO_MIGRATE": env.get("SPEEDNET_AUTO_MIGRATE", "1") not in {"0", "false", "no"},
        "ATTENDEES_PER_PAGE": 50,
        "PASSWORD_HASH_METHOD": DEFAULT_PASSWORD_HASH_METHOD,
        **queue_config(env),
        **smtp_config(env),
        **load_settings(env),
    }
