"""Development server: ``python -m web.devserver`` (what ``make run`` starts).

Creates the app (which upgrades the database), makes sure an organiser account and the demo
event exist, prints where to sign in, and serves on 127.0.0.1:$PORT (default 5000). For
production use gunicorn: ``gunicorn -w 4 'web:create_app()'``.
"""

from __future__ import annotations

import os

from web import create_app
from web.auth.services import ensure_admin
from web.demo import sample_attendee_tokens, seed_demo


def main() -> None:
    port = int(os.environ.get("PORT", "5000"))
    app = create_app()
    with app.app_context():
        admin = ensure_admin()
    demo = seed_demo(app)
    base = f"http://127.0.0.1:{port}"
    print("\n  speednet is running")
    print(f"  Organiser sign-in: {base}/login")
    if admin.password:
        print(f"    email:    {admin.email}")
        print(f"    password: {admin.password}   (shown once; set ADMIN_EMAIL/ADMIN_PASSWORD to choose)")
    elif admin.created:
        print(f"    email:    {admin.email}   (password from ADMIN_PASSWORD)")
    else:
        print(f"    email:    {admin.email}   (existing account; password unchanged: "
              f".venv/bin/flask --app web set-password {admin.email} sets a new one)")
    print(f"  Demo event: {base}/console/{demo.event_slug}/  ({demo.attendees} attendees)")
    for note in demo.notes:
        print(f"  Note: {note}")
    for name, token in sample_attendee_tokens(app):
        print(f"  Attendee page for {name}: {base}/me/{token}")
    print()
    app.run(host="127.0.0.1", port=port, debug=os.environ.get("FLASK_DEBUG") == "1",
            use_reloader=False)


if __name__ == "__main__":
    main()
