"""Spreadsheet downloads (CSV and XLSX) as the console serves them."""

from __future__ import annotations

from flask import Response

SPREADSHEET_MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SPREADSHEET_FORMATS = tuple(SPREADSHEET_MIMETYPES)  # every export is offered in each of these


def spreadsheet_download(data: bytes, filename: str, fmt: str) -> Response:
    """An attachment that no shared cache keeps: exports carry personal data."""
    response = Response(data, mimetype=SPREADSHEET_MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
