"""The PDF kit's fonts: embedded files where the machine has them, and documents that
still print (in fonts the viewer supplies) where it does not."""

from __future__ import annotations

import io

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Spacer

from membercard.core import pdf
from tests.printouts import fonts_used, needs_font_files


def _document(text: str) -> bytes:
    out = io.BytesIO()
    pdf.document(out).build([pdf.paragraph(text, pdf.TITLE), Spacer(1, 4), pdf.paragraph(text)])
    return out.getvalue()


@needs_font_files
def test_latin_and_chinese_text_are_set_in_embedded_fonts():
    fonts = fonts_used(_document("卡片交接单 Card handover sheet 4,800.00 CNY"))
    assert all(fonts.values()), fonts
    assert any("DejaVuSans" in name for name in fonts)
    assert len(fonts) == 3  # sans, bold sans, the CJK font: nothing else (no Helvetica)


def _forget_kit_fonts() -> None:
    """reportlab keeps the first font file registered under a name: forget the kit's."""
    for name in (pdf.SANS, pdf.SANS_BOLD, pdf.MONO_FONT, pdf.CJK_TTF):
        pdfmetrics._fonts.pop(name, None)
    pdf.register_fonts.cache_clear()


@pytest.fixture
def no_font_packages(monkeypatch, tmp_path):
    """A machine without Debian's font packages: only the fonts shipped with the code."""
    monkeypatch.setattr(pdf, "_DIRS", ())
    monkeypatch.setenv("MEMBERCARD_PDF_FONT_DIRS", str(tmp_path))
    _forget_kit_fonts()
    yield monkeypatch
    monkeypatch.undo()
    _forget_kit_fonts()
    pdf.register_fonts()  # the real fonts again, for the tests that follow


def test_python_and_pip_alone_print_embedded_fonts(no_font_packages):
    """Latin in the Bitstream Vera reportlab ships, Chinese in the WenQuanYi Micro Hei of
    membercard/core/fonts: every font embedded, no Debian package needed."""
    assert pdf.register_fonts() == pdf.Fonts(pdf.CJK_TTF, embedded=True)
    fonts = fonts_used(_document("卡片交接单 Card handover sheet 4,800.00 CNY"))
    assert all(fonts.values()), fonts
    assert {"Vera" in name or "WenQuanYi" in name for name in fonts} == {True}


def test_without_any_font_file_the_documents_still_print(no_font_packages):
    no_font_packages.setattr(pdf, "_shipped", tuple)
    _forget_kit_fonts()
    assert pdf.register_fonts() == pdf.Fonts(pdf.CJK_CID, embedded=False)
    fonts = fonts_used(_document("卡片交接单 Card handover sheet"))
    assert set(fonts) == {"/Helvetica", "/Helvetica-Bold", f"/{pdf.CJK_CID}"}
