"""Event-day check-in (models only for now; kiosk views build on :class:`CheckIn`)."""
