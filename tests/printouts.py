"""Reading printed documents back in tests: each page's text, and which fonts a PDF does
not embed (pypdf; the same answers as ``pdftotext`` and ``pdffonts``' "emb" column)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from membercard.core.pdf import register_fonts

# Embedding needs font files: Debian's where installed, else those shipped with the code
# (reportlab's Vera, membercard/core/fonts); only a broken install lacks them.
needs_font_files = pytest.mark.skipif(
    not register_fonts().embedded,
    reason="no DejaVu Sans / CJK TrueType font file on this machine",
)


def page_texts(data: bytes) -> list[str]:
    """The text of each page, whitespace runs folded to one space."""
    assert data.startswith(b"%PDF-")
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def _descriptor(font):
    font = font.get_object()
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0].get_object()
    return font.get("/FontDescriptor")


def fonts_used(data: bytes) -> dict[str, bool]:
    """Every font the pages use: its base name -> whether its file is in the PDF."""
    found: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font", {}) if resources else {}
        for ref in fonts.get_object().values():
            font = ref.get_object()
            descriptor = _descriptor(font)
            embedded = descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            found[str(font.get("/BaseFont"))] = embedded
    return found


def assert_fonts_embedded(data: bytes) -> None:
    fonts = fonts_used(data)
    assert fonts, "the PDF names no font"
    missing = sorted(name for name, embedded in fonts.items() if not embedded)
    assert not missing, f"fonts not embedded: {missing}"
