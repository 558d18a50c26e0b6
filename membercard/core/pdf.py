"""The PDF kit of the printed documents (handover sheet, Z report, batch proof, report
exports): fonts, paragraph styles, a paragraph that sets any text, a ruled table.

Latin text is set in Helvetica, text with other characters (Chinese store, staff and
product names) in reportlab's built-in CID font STSong-Light, so no font file is needed.
"""

from __future__ import annotations

import functools
import re
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, Table, TableStyle

CJK_FONT = "STSong-Light"
NOT_LATIN = re.compile(r"[^\x00-\xff]+")


@functools.cache
def cjk_font() -> str:
    """The CID font's name, registered with reportlab the first time it is asked for."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def font_for(text: str) -> str:
    """Helvetica for Latin text, the CID font for text with any other character."""
    return cjk_font() if NOT_LATIN.search(text) else "Helvetica"


# Styles: one look for every printed document.
BASE = ParagraphStyle("base", fontName="Helvetica", fontSize=9, leading=11.5)
BOLD = ParagraphStyle("bold", BASE, fontName="Helvetica-Bold")
RIGHT = ParagraphStyle("right", BASE, alignment=TA_RIGHT)
RIGHT_BOLD = ParagraphStyle("right_bold", BOLD, alignment=TA_RIGHT)
TITLE = ParagraphStyle("title", BOLD, fontSize=16, leading=20)
HEADING = ParagraphStyle("heading", BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
MONO = ParagraphStyle("mono", BASE, fontName="Courier", fontSize=8.5)

GRID = colors.HexColor("#9a9a9a")
SHADE = colors.HexColor("#ececec")


def markup(text: object) -> str:
    """Paragraph markup for ``text``: escaped, non-Latin runs in the CJK font."""
    text = str(text)
    if NOT_LATIN.search(text):
        cjk_font()
    return NOT_LATIN.sub(lambda m: f'<font name="{CJK_FONT}">{m.group(0)}</font>', escape(text))


def paragraph(text: object, style: ParagraphStyle = BASE) -> Paragraph:
    return Paragraph(markup(text), style)


def ruled_table(rows: list[list], widths: list[float], *, style: list | None = None) -> Table:
    """A table with a grid, a shaded header row repeated on each page, and ``style``."""
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                *(style or []),
            ]
        )
    )
    return table
