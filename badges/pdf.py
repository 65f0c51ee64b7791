"""Opening a PDF canvas on a path or a binary file object, and reportlab's length units.

Renderers write to whatever the caller hands them: a file name from the CLI, or an
``io.BytesIO`` from a web download button. Output is made invariant (no creation timestamp or
random document id) so the same input prints byte-identical files, which makes reprints and
tests predictable.
"""

from __future__ import annotations

import os
from typing import BinaryIO

from reportlab.lib import units
from reportlab.pdfgen.canvas import Canvas

Target = str | os.PathLike[str] | BinaryIO

# reportlab ships no type information: its units, given a type here, keep every length a float.
mm: float = units.mm
inch: float = units.inch


def open_canvas(target: Target, pagesize: tuple[float, float], title: str) -> Canvas:
    canvas = Canvas(target if not isinstance(target, os.PathLike) else os.fspath(target),
                    pagesize=pagesize, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("speednet")
    return canvas
