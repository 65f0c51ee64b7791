"""Bundled TrueType fonts and per-character font fallback.

Attendees come from every region, so a badge may have to print "Zoë Åström", "Ελένη",
"Дмитрий", "محمد بن سلمان", "王小明", "山田 太郎" or "김민준". No single free TrueType font covers
all of these, and ReportLab embeds only glyf-based TrueType (not CFF), so the package ships a
small chain of TTF fonts (see ``fonts/LICENSE-*.txt``) and picks, for every character, the
first font in the chain whose cmap has it. The fonts live in the repository because a fresh
machine with only Python and requirements.txt must print the same glyphs as a developer's.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"

#: Printed in place of a character that no bundled font covers, so a gap is visible instead of
#: an empty .notdef box. DejaVu Sans (first in the chain) has this glyph.
REPLACEMENT_CHAR = "\ufffd"


@dataclass(frozen=True)
class Face:
    """One family of the fallback chain: a regular file and, when the family has one, a bold file."""

    key: str
    regular: str
    bold: str | None

    def registered_name(self, bold: bool) -> str:
        return f"Speednet{self.key}-Bold" if bold else f"Speednet{self.key}"

    def file_for(self, bold: bool) -> str:
        return (self.bold or self.regular) if bold else self.regular


#: Fallback order. Arabic-script characters try Noto Sans Arabic first (better shapes and a full
#: set of contextual forms); everything else walks the chain from the top.
FACES: tuple[Face, ...] = (
    Face("Sans", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),            # Latin, Greek, Cyrillic, Hebrew
    Face("Arabic", "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
    Face("CJK", "DroidSansFallbackFull.ttf", None),                   # Han, kana; no bold cut exists
    Face("Hangul", "NanumSquareR.ttf", "NanumSquareB.ttf"),           # all 11,172 Hangul syllables
)
_ARABIC_FIRST: tuple[Face, ...] = (FACES[1], FACES[0], FACES[2], FACES[3])

_lock = threading.Lock()
_cmaps: dict[str, frozenset[int]] = {}


def _register(face: Face, bold: bool) -> str:
    name = face.registered_name(bold)
    if name in _cmaps:
        return name
    with _lock:
        if name not in _cmaps:
            font = TTFont(name, str(FONT_DIR / face.file_for(bold)))
            pdfmetrics.registerFont(font)
            _cmaps[name] = frozenset(font.face.charToGlyph)
    return name


def font_name(face: Face, bold: bool = False) -> str:
    """ReportLab name of a bundled face, registering it on first use."""
    return _register(face, bold)


def font_file(name: str) -> Path:
    """The TrueType file behind the registered bundled font ``name``."""
    for face in FACES:
        for bold in (False, True):
            if face.registered_name(bold) == name:
                return FONT_DIR / face.file_for(bold)
    raise KeyError(f"not a bundled font: {name}")


def base_font(bold: bool = False) -> str:
    """The first font of the chain, used for labels the product itself prints."""
    return font_name(FACES[0], bold)


def covers(name: str, char: str) -> bool:
    """Whether the registered bundled font ``name`` has a glyph for ``char`` in its cmap."""
    return ord(char) in _cmaps[name]


def is_arabic_script(char: str) -> bool:
    cp = ord(char)
    return (0x0600 <= cp <= 0x06FF or 0x0750 <= cp <= 0x077F or 0x08A0 <= cp <= 0x08FF
            or 0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFF)


@lru_cache(maxsize=65536)
def font_for_char(char: str, bold: bool = False) -> str | None:
    """First bundled font whose cmap has ``char``; ``None`` when no bundled font covers it."""
    chain = _ARABIC_FIRST if is_arabic_script(char) else FACES
    for face in chain:
        name = _register(face, bold)
        if ord(char) in _cmaps[name]:
            return name
    return None


def missing_chars(text: str, bold: bool = False) -> set[str]:
    """Characters of ``text`` (after NFC normalisation) that no bundled font can print."""
    text = unicodedata.normalize("NFC", text)
    return {c for c in text if not c.isspace() and font_for_char(c, bold) is None}


# -- copying text out of a PDF ------------------------------------------------------------
#
# Shaped text (Arabic) is drawn as the glyphs HarfBuzz chose: initial, medial and final forms and
# ligatures such as lam-alef. ReportLab names each glyph by the first code point the font's cmap
# gives it (an Arabic presentation form, U+FB50-U+FDFF / U+FE70-U+FEFF) or, for a glyph no code
# point reaches, by a private-use one, and writes that into the PDF's ToUnicode map; a reader
# copying the name then gets presentation forms or nothing useful. The shaping step records
# what text each such glyph stands for (:func:`remember_logical`), and the ToUnicode maps this
# package's PDFs carry name that text: copying "محمد" gives U+0645 U+062D U+0645 U+062F.

_LOGICAL: dict[str, dict[int, str]] = {}     # font file's face name -> code drawn -> text it shows


def is_presentation_form(code: int) -> bool:
    """Arabic presentation forms (A and B): contextual shapes and ligatures, not letters."""
    return 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF


def remember_logical(font: str, code: int, text: str) -> None:
    """Record that the glyph drawn as ``code`` in the registered font ``font`` shows ``text``."""
    face = pdfmetrics.getFont(font).face.name
    key = face.decode("latin-1") if isinstance(face, bytes) else str(face)
    with _lock:
        _LOGICAL.setdefault(key, {}).setdefault(code, text)


def logical_text(face: str, code: int) -> str | None:
    """The text a drawn code point stands for, when it is not simply itself: what shaping
    recorded, else the compatibility decomposition of a presentation form."""
    text = _LOGICAL.get(face, {}).get(code)
    if text is None and is_presentation_form(code):
        text = unicodedata.normalize("NFKC", chr(code))
    return text or None


_reportlab_to_unicode_cmap = ttfonts.makeToUnicodeCMap


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ToUnicode CMap for one font subset, with shaped glyphs mapped to the text
    they show (see :func:`logical_text`); subsets without such glyphs are left as ReportLab
    writes them. ``fontname`` is the subset's base font name, ``XXXXXX+<face name>``."""
    face = fontname.split("+", 1)[-1]
    logical = [logical_text(face, code) for code in subset]
    if not any(logical):
        return str(_reportlab_to_unicode_cmap(fontname, subset))
    entries = [f"<{i:02X}> <{_utf16_hex(text or chr(code))}>" for i, (code, text) in enumerate(zip(subset, logical))]
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def", "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>", "endcodespacerange", f"{len(subset)} beginbfchar",
        *entries, "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end",
    ])


# ReportLab's TTFont.addObjects looks this name up when it writes each subset.
ttfonts.makeToUnicodeCMap = to_unicode_cmap
