"""PDF: pypdf's layout-mode text, page by page, into the parser's line stream.

Layout mode keeps each printed line on one line with its columns in place, so a
table row reads as label then values; pages are joined in order, so a table that
crosses a page break is one region, and the page footer printed inside it ("-4-")
is dropped by :func:`pipelines.document.from_text`. Columns that run together
are split again by the table readers. Pages without a text layer go to OCR.

Bounded: at most ``MAX_PDF_PAGES`` pages and ``PDF_TIME_BUDGET`` seconds of
extraction; an encrypted file is tried with the empty password; a file pypdf
cannot open is handed to poppler's ``pdftotext`` when it is installed.
"""
from __future__ import annotations

import io
import logging
import os
import re
import tempfile
import time

from ..document import from_text
from . import Converted, limits, ocr, tools

_log = logging.getLogger(__name__)
MIN_PAGE_CHARS = 8    # a page with fewer non-blank characters has no text layer


def convert_pdf(data: bytes) -> Converted:
    out = Converted(format="pdf")
    warnings = out.warnings
    try:
        from pypdf import PdfReader
    except ImportError:
        warnings.append("PDF not read: the pypdf package is not installed")
        out.kind = "unreadable"
        return out
    logging.getLogger("pypdf").setLevel(logging.ERROR)   # damaged files are common: we warn once ourselves
    try:
        reader, n_pages = _open(PdfReader, data, out)
    except _Done:
        return out
    except Exception as exc:
        why = f"PDF damaged or truncated, pypdf could not open it ({_why(exc)})"
        repaired = _repair(data)
        try:
            if repaired is None:
                raise ValueError("no catalog")
            reader, n_pages = _open(PdfReader, repaired, out)
        except _Done:
            return out
        except Exception:
            return _fallback(data, out, why)
        if n_pages == 0:
            return _fallback(data, out, why)
        warnings.append(f"{why}; read after rebuilding its cross-reference table: pages or tables may be missing")
    out.extra["pages"] = n_pages
    if n_pages == 0:
        return _fallback(data, out, "PDF has no readable pages")
    todo = min(n_pages, limits.MAX_PDF_PAGES)
    if n_pages > todo:
        warnings.append(f"PDF has {n_pages} pages: only the first {todo} were read")
    deadline = time.monotonic() + limits.PDF_TIME_BUDGET
    texts: list[str] = []
    failed: list[int] = []
    total = 0
    for i in range(todo):
        if time.monotonic() > deadline:
            warnings.append(f"PDF text extraction stopped after {i} of {todo} pages "
                            f"(over {limits.PDF_TIME_BUDGET:.0f} s)")
            break
        text = _page_text(reader, i, failed)
        total += len(text)
        if total > limits.MAX_TEXT_CHARS:
            warnings.append(f"PDF text cut at {limits.MAX_TEXT_CHARS} characters (page {i + 1})")
            break
        texts.append(text)
    if failed:
        warnings.append(f"PDF page(s) {_ranges(failed)} could not be read")
    blank = [i for i, t in enumerate(texts) if len("".join(t.split())) < MIN_PAGE_CHARS and i not in failed]
    scanned = [i for i in blank if _has_image(reader, i)]
    out.extra["ocr"] = False
    if scanned:
        _ocr_pages(data, texts, scanned, out, all_scanned=len(scanned) == len(texts))
    if not any(t.strip() for t in texts):
        out.document = None
        if out.kind is None:
            out.kind = "image_only" if scanned else "unreadable"
        if not scanned:
            warnings.append("PDF has no text")
        return out
    out.document = from_text("\n".join(texts))
    return out


class _Done(Exception):
    """The file is understood and cannot be read (a password): stop, warnings said why."""


def _open(PdfReader, data: bytes, out: Converted):
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not _decrypt(reader, out):
        raise _Done
    return reader, len(reader.pages)


_OBJ = re.compile(rb"(\d{1,10})\s+(\d{1,5})\s+obj\b")


def _repair(data: bytes) -> bytes | None:
    """A truncated PDF (its cross-reference table and trailer lost) given a trailer again.

    pypdf rebuilds the cross-reference table by scanning for objects when the
    ``startxref`` pointer is wrong; it only needs to be told which object is the
    catalog, found here by its ``/Type /Catalog``.
    """
    for m in re.finditer(rb"/Type\s*/Catalog\b", data[:limits.MAX_REPAIR_SCAN]):
        window = data[max(0, m.start() - 4000):m.start()]
        objs = list(_OBJ.finditer(window))
        if objs:
            num, gen = objs[-1].group(1), objs[-1].group(2)
            return data + b"\ntrailer\n<</Root %s %s R>>\nstartxref\n0\n%%%%EOF\n" % (num, gen)
    return None


def _decrypt(reader, out: Converted) -> bool:
    try:
        ok = reader.decrypt("")
    except Exception as exc:   # e.g. AES without the cryptography package
        out.warnings.append(f"PDF is encrypted and could not be decrypted ({_why(exc)})")
        out.kind = "unreadable"
        return False
    if not ok:
        out.warnings.append("PDF is encrypted with a password: not read")
        out.kind = "unreadable"
        out.extra["encrypted"] = True
        return False
    out.extra["encrypted"] = True   # empty user password (copy/print restrictions only): read
    return True


def _page_text(reader, i: int, failed: list[int]) -> str:
    try:
        page = reader.pages[i]
    except Exception:
        failed.append(i + 1)
        return ""
    try:
        return page.extract_text(extraction_mode="layout") or ""
    except Exception as exc:
        _log.debug("layout extraction failed on page %d: %s", i + 1, exc)
    try:
        return page.extract_text() or ""
    except Exception:
        failed.append(i + 1)
        return ""


def _has_image(reader, i: int) -> bool:
    """Whether the page draws an image (a scan) rather than being blank."""
    try:
        page = reader.pages[i]
        res = page.get("/Resources")
        res = res.get_object() if res is not None else None
        xobjects = res.get("/XObject") if res is not None else None
        if xobjects is None:
            return False
        xobjects = xobjects.get_object()
        for name in list(xobjects.keys())[:50]:
            obj = xobjects[name].get_object()
            if obj.get("/Subtype") in ("/Image", "/Form"):
                return True
    except Exception:
        return True   # cannot tell: let OCR look
    return False


def _ocr_pages(data: bytes, texts: list[str], pages: list[int], out: Converted, all_scanned: bool) -> None:
    what = "PDF has no text layer" if all_scanned else f"PDF page(s) {_ranges([p + 1 for p in pages])} have no text layer"
    if not ocr.available():
        out.warnings.append(f"{what} and OCR (tesseract, pdftoppm) is not installed: {ocr.missing()}")
        if all_scanned:
            out.kind = "image_only"
        return
    if len(pages) > limits.MAX_OCR_PAGES:
        out.warnings.append(f"{what}: only the first {limits.MAX_OCR_PAGES} of {len(pages)} scanned pages are OCR'd")
        pages = pages[:limits.MAX_OCR_PAGES]
    done = ocr.ocr_pdf_pages(data, [p + 1 for p in pages], out.warnings)
    for p in pages:
        if done.get(p + 1):
            texts[p] = done[p + 1]
    if done:
        out.extra["ocr"] = True
        out.extra["ocr_pages"] = sorted(done)
        if all_scanned:
            out.warnings.append(f"text read by OCR ({len(done)} page(s)): numbers may be misread")
        else:
            out.warnings.append(f"page(s) {_ranges(sorted(done))} read by OCR: numbers may be misread")
    elif all_scanned:
        out.kind = "image_only"


def _fallback(data: bytes, out: Converted, why: str) -> Converted:
    """poppler's pdftotext, which reads many files pypdf gives up on."""
    exe = tools.which("pdftotext")
    if exe:
        with tempfile.TemporaryDirectory(prefix="xxgk-pdf-") as tmp:
            src = os.path.join(tmp, "in.pdf")
            with open(src, "wb") as fh:
                fh.write(data)
            res = tools.run([exe, "-layout", "-l", str(limits.MAX_PDF_PAGES), "-enc", "UTF-8", src, "-"],
                            timeout=limits.PDF_TIME_BUDGET, memory=limits.TOOL_MEMORY)
        text = res.stdout.decode("utf-8", "replace")[:limits.MAX_TEXT_CHARS] if res.stdout else ""
        if text.replace("\f", "").strip():
            out.warnings.append(f"{why}; text taken from pdftotext instead")
            out.document = from_text(text.replace("\f", "\n"))
            return out
    out.warnings.append(why)
    out.kind = "unreadable"
    return out


def _why(exc: Exception) -> str:
    msg = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def _ranges(numbers: list[int]) -> str:
    out, start, prev = [], None, None
    for n in numbers:
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(out)
