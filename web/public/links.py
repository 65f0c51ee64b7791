"""The public address of a page (:func:`web.attendees.links.public_url`), under its older
import path for the API module that still names it here."""

from web.attendees.links import public_url  # noqa: F401
