"""The web fixtures (tests/web/conftest.py) for the reliability tests."""

from tests.web.conftest import (  # noqa: F401  (fixtures pytest finds by name)
    app,
    app_config,
    client,
    make_attendee,
    make_event,
    organiser,
    organiser_user,
)
