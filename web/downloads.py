"""Spreadsheet downloads (CSV and XLSX) as the console serves them."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort

SPREADSHEET_MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SPREADSHEET_FORMATS = tuple(SPREADSHEET_MIMETYPES)  # every export is offered in each of these


def spreadsheet_download(fmt: str, name: str, build: Callable[[str], bytes]) -> Response:
    """``build(fmt)`` as the attachment ``<name>.<fmt>``; 404 for a format not offered (the
    format comes from the URL). No shared cache may keep it: exports carry personal data."""
    if fmt not in SPREADSHEET_FORMATS:
        abort(404)
    response = Response(build(fmt), mimetype=SPREADSHEET_MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
