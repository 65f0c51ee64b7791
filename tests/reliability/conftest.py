"""The web fixtures (tests/web/conftest.py) for the reliability tests."""

from tests.web.conftest import (  # noqa: F401  (fixtures pytest finds by name)
    _accounts_join_events,
    app,
    app_config,
    client,
    fixture_accounts_join_events,
    make_attendee,
    make_event,
    organiser,
    organiser_user,
)
