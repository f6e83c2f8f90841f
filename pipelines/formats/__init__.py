"""Attachments to a line stream: PDF, DOCX, DOC/WPS and scans.

:func:`convert` is what :func:`pipelines.record.parse_document` calls for bytes that
are not HTML or text (``kind`` from :func:`pipelines.decode.sniff`, so by content,
whatever the file name says). It answers ``None`` for what it cannot read at all,
or a :class:`Converted` whose ``document`` feeds the same section and table readers
as an HTML page. It never raises: a damaged, encrypted, huge or hostile file gives
``document=None`` (or a partial document) and says why in ``warnings``, within
bounded time and memory (see the limits in :mod:`.limits`).

- PDF: pypdf's layout-mode text, page by page (:mod:`.pdf`); pages without a
  text layer are OCR'd with Tesseract when it is installed (:mod:`.ocr`).
- DOCX: python-docx, tables as grids with merged cells expanded (:mod:`.word`).
- DOC / WPS (OLE): LibreOffice headless converts to DOCX first (:mod:`.office`).
- images: OCR.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..document import Document


@dataclass
class Converted:
    format: str                          # pdf, docx, doc, wps, image, zip, ole
    document: Document | None = None     # None: no text could be had
    kind: str | None = None              # record kind when document is None (image_only, unreadable)
    warnings: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)   # merged into the record (ocr, pages…)


def convert(kind: str, data: bytes) -> Converted | None:
    """The attachment's text as a :class:`Document`; ``None`` for kinds not handled."""
    try:
        if kind == "pdf":
            from .pdf import convert_pdf
            return convert_pdf(data)
        if kind == "zip":
            from .word import convert_zip
            return convert_zip(data)
        if kind == "ole":
            from .office import convert_ole
            return convert_ole(data)
        if kind == "image":
            from .ocr import convert_image
            return convert_image(data)
    except Exception as exc:   # a converter bug must not take the crawl down
        return Converted(format=kind, kind="unreadable",
                         warnings=[f"{kind} could not be read ({type(exc).__name__}: {exc})"])
    return None


__all__ = ["Converted", "convert"]
