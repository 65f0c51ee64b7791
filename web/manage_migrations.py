"""Regenerate the single initial migration from the current models (``make migrations``).

While the product is young, several features add models at the same time. Instead of a chain
of small revisions that conflict in every branch, the schema lives in ONE revision,
``web/migrations/versions/0001_initial.py``, rebuilt from the models by this script. Once a
release with real data exists, stop regenerating and add normal revisions on top with
``flask --app web db migrate -m "..."``.

    python -m web.manage_migrations          # rewrite 0001_initial.py
    python -m web.manage_migrations --check  # exit 1 if models and migration differ
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from web.database import MIGRATIONS_DIR

INITIAL = Path(MIGRATIONS_DIR) / "versions" / "0001_initial.py"


def _app(tmp: str):
    from web import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/schema.db",
        "SECRET_KEY": "schema-generation",
        "SPEEDNET_AUTO_MIGRATE": False,
    })


def schema_diffs(app) -> list[object]:
    """Differences between the models and a database upgraded to the newest revision."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    from web.extensions import db

    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, db.metadata))


def regenerate() -> Path:
    from flask_migrate import migrate

    versions = Path(MIGRATIONS_DIR) / "versions"
    others = [p.name for p in versions.glob("*.py") if p != INITIAL]
    if others:
        raise SystemExit(
            f"refusing to regenerate: other revisions exist ({', '.join(others)}); "
            "add a new revision with `flask --app web db migrate` instead"
        )
    INITIAL.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(tmp)
        with app.app_context():
            migrate(directory=MIGRATIONS_DIR, message="initial", rev_id="0001")
    if not INITIAL.exists():
        raise SystemExit("alembic did not write 0001_initial.py")
    return INITIAL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare models and migration")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            diffs = schema_diffs(_app(tmp))
        for diff in diffs:
            print(diff)
        print("migration matches the models" if not diffs else f"{len(diffs)} difference(s)")
        return 1 if diffs else 0
    path = regenerate()
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
