"""The fonts of the stock PDFs (the batch proof sheet, the handover sheet): Latin text in
Helvetica, text with other characters (Chinese store, staff and product names) in
reportlab's built-in CID font STSong-Light, so no font file is needed.
"""

from __future__ import annotations

import functools
import re

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
