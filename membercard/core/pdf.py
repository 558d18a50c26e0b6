"""The PDF kit of the printed documents (handover sheet, Z report, batch proof, report
exports): fonts, paragraph styles, a paragraph that sets any text, a ruled table.

Fonts are embedded so every viewer shows the same thing: Latin text is set in DejaVu Sans
(Debian ``fonts-dejavu-core``; without it, the Bitstream Vera that reportlab ships), text
with other characters (Chinese headings, store, staff and product names) in a CJK TrueType
font (WenQuanYi Zen Hei, ``fonts-wqy-zenhei``, or Droid Sans Fallback,
``fonts-droid-fallback``; without them, the WenQuanYi Micro Hei shipped in
``membercard/core/fonts``), each embedded as a subset. ``MEMBERCARD_PDF_FONT_DIRS``
(separated by ``:``) is searched first. Were every file missing, the document would still
print in the PDF base fonts (Helvetica, STSong-Light), which the viewer supplies.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, Table, TableStyle

log = logging.getLogger(__name__)

# The names the styles and canvases use; ``register_fonts`` binds them to font files.
SANS, SANS_BOLD, MONO_FONT = "MC-Sans", "MC-Sans-Bold", "MC-Mono"
CJK_TTF, CJK_CID = "MC-CJK", "STSong-Light"
NOT_LATIN = re.compile(r"[^\x00-\xff]+")

_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/wqy",
    "/usr/share/fonts/truetype/droid",
    "/usr/share/fonts/truetype",
    "/usr/local/share/fonts",
)
# name -> (candidate files, the base font used when none is found)
_LATIN = {
    SANS: (("DejaVuSans.ttf", "Vera.ttf"), "Helvetica"),
    SANS_BOLD: (("DejaVuSans-Bold.ttf", "VeraBd.ttf"), "Helvetica-Bold"),
    MONO_FONT: (("DejaVuSansMono.ttf", "Vera.ttf"), "Courier"),  # Vera's digits: one width
}
_CJK_FILES = ("wqy-zenhei.ttc", "wqy-microhei.ttc", "DroidSansFallbackFull.ttf")


@dataclass(frozen=True)
class Fonts:
    cjk: str  # the font name for text with Chinese characters
    embedded: bool  # every font is a file embedded in the PDF


def _shipped() -> tuple[Path, ...]:
    """The fonts that come with the code, after the machine's: ours (WenQuanYi Micro Hei)
    and the Bitstream Vera reportlab ships, so Python and pip alone print embedded fonts."""
    import reportlab

    return (Path(__file__).parent / "fonts", Path(reportlab.__file__).parent / "fonts")


def _dirs() -> list[Path]:
    extra = os.environ.get("MEMBERCARD_PDF_FONT_DIRS", "")
    return [Path(d) for d in (*extra.split(":"), *_DIRS) if d] + list(_shipped())


def find_font(names: tuple[str, ...]) -> Path | None:
    """The first of ``names`` found in the font folders."""
    for folder in _dirs():
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return None


@functools.cache
def register_fonts() -> Fonts:
    """Register the kit's fonts with reportlab once; which were found is logged."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    embedded = True
    for name, (files, base) in _LATIN.items():
        path = find_font(files)
        if path is not None:
            pdfmetrics.registerFont(TTFont(name, str(path)))
        else:
            embedded = False
            pdfmetrics.registerFont(pdfmetrics.Font(name, base, "WinAnsiEncoding"))
    path = find_font(_CJK_FILES)
    if path is not None:
        pdfmetrics.registerFont(TTFont(CJK_TTF, str(path), subfontIndex=0))
        return Fonts(CJK_TTF, embedded)
    log.warning("No CJK font file found: Chinese in PDFs is set in the viewer's %s", CJK_CID)
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_CID))
    return Fonts(CJK_CID, False)


def cjk_font() -> str:
    """The font name for text with Chinese characters (the fonts registered first)."""
    return register_fonts().cjk


def font_for(text: str, latin: str = SANS) -> str:
    """``latin`` for Latin text, the CJK font for text with any other character."""
    register_fonts()
    return cjk_font() if NOT_LATIN.search(text) else latin


def canvas_options() -> dict:
    """Keyword arguments for a reportlab canvas: its initial font is one of ours (else
    reportlab names Helvetica in every page, a font the PDF does not embed)."""
    register_fonts()
    return {"initialFontName": SANS, "initialFontSize": 9}


# Styles: one look for every printed document.
BASE = ParagraphStyle("base", fontName=SANS, fontSize=9, leading=11.5)
BOLD = ParagraphStyle("bold", BASE, fontName=SANS_BOLD)
RIGHT = ParagraphStyle("right", BASE, alignment=TA_RIGHT)
RIGHT_BOLD = ParagraphStyle("right_bold", BOLD, alignment=TA_RIGHT)
TITLE = ParagraphStyle("title", BOLD, fontSize=16, leading=20)
HEADING = ParagraphStyle("heading", BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
MONO = ParagraphStyle("mono", BASE, fontName=MONO_FONT, fontSize=8.5)
SMALL = ParagraphStyle("small", BASE, fontSize=7, leading=8.5)
SMALL_RIGHT = ParagraphStyle("small_right", SMALL, alignment=TA_RIGHT)
SMALL_BOLD = ParagraphStyle("small_bold", SMALL, fontName=SANS_BOLD)
SMALL_RIGHT_BOLD = ParagraphStyle("small_right_bold", SMALL_BOLD, alignment=TA_RIGHT)

GRID = colors.HexColor("#9a9a9a")
SHADE = colors.HexColor("#ececec")


def markup(text: object) -> str:
    """Paragraph markup for ``text``: escaped, non-Latin runs in the CJK font."""
    text = str(text)
    font = font_for(text)
    if font == SANS:
        return escape(text)
    return NOT_LATIN.sub(lambda m: f'<font name="{font}">{m.group(0)}</font>', escape(text))


def paragraph(text: object, style: ParagraphStyle = BASE) -> Paragraph:
    return Paragraph(markup(text), style)


def table_style(commands: list) -> TableStyle:
    """A table style whose cells start in the kit's font (reportlab's default is
    Helvetica, which would put an unembedded font in the PDF for an empty cell)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), SANS), *commands])


def ruled_table(rows: list[list], widths: list | None, *, style: list | None = None) -> Table:
    """A table with a grid, a shaded header row repeated on each page, and ``style``."""
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        table_style(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                *(style or []),
            ]
        )
    )
    return table


def document(buffer, **options):
    """A ``SimpleDocTemplate`` whose canvas starts in one of the kit's fonts."""
    from reportlab.platypus import SimpleDocTemplate

    return SimpleDocTemplate(buffer, **canvas_options(), **options)
