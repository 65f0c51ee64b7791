"""Schedules: stored versions, their meetings and the background jobs computing them.

Phase 1 holds the models only; planning, publishing and the schedule pages build on them.
"""
