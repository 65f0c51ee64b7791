"""speednet's scheduler: domain model, pair scoring, CP-SAT planning, re-planning and file I/O.

Pure Python: it imports neither Flask nor ReportLab, so the web app and the printers depend on
it and never the other way round.
"""
