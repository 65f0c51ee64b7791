"""Event day: the event clock, live re-planning and the room display."""
