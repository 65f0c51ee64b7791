"""QR codes drawn as vector paths.

A badge's QR code carries only the opaque check-in token it is given. Drawing the modules as
filled rectangles (instead of embedding a bitmap) keeps codes sharp on any printer and the PDF
small; the module matrix is cached because a person's badge and agenda carry the same code.
"""

from __future__ import annotations

from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.pdfgen.canvas import Canvas

QUIET_ZONE = 4   # modules of white space around the symbol, as ISO/IEC 18004 asks


@lru_cache(maxsize=8192)
def qr_matrix(payload: str) -> tuple[tuple[bool, ...], ...]:
    """Module matrix (True = dark) of the smallest QR symbol holding ``payload`` at level M."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(payload)
    code.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Draw the code for ``payload`` in the square with lower-left corner (x, y) and side
    ``size``, quiet zone included; horizontal runs of dark modules become one rectangle."""
    matrix = qr_matrix(payload)
    count = len(matrix)
    module = size / (count + 2 * QUIET_ZONE)
    left = x + QUIET_ZONE * module
    top = y + size - QUIET_ZONE * module
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < count:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < count and row[c]:
                c += 1
            path.rect(left + start * module, top - (r + 1) * module, (c - start) * module, module)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
