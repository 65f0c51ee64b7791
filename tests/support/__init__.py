"""Helpers shared by several test suites (one copy of each job)."""
