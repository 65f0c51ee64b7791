"""Printing: badges, personal agendas and organiser sheets as PDF (ReportLab).

Renderers take domain values from :mod:`scheduler.domain` plus opaque QR payload strings, and
write to a path or a binary file object. See docs/architecture.md, section ``badges/``.
"""

from badges.agenda import render_agenda, render_agendas
from badges.badge import BadgeItem, render_badges
from badges.layouts import LAYOUTS, BadgeLayout, get_layout
from badges.sheets import render_checkin_list, render_master_grid, render_table_sheets

__all__ = ["BadgeItem", "BadgeLayout", "LAYOUTS", "get_layout", "render_agenda", "render_agendas",
           "render_badges", "render_checkin_list", "render_master_grid", "render_table_sheets"]
