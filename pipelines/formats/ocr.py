"""OCR of scanned pages with Tesseract (Debian: tesseract-ocr, tesseract-ocr-chi-sim).

Pages are rendered by poppler's ``pdftoppm`` (poppler-utils) at a fixed size,
then read by ``tesseract`` as a single column of lines (``--psm 4``) with the spaces between
words kept, so a table row comes out as one line: label, then its numbers. Every
run has a timeout and a memory cap; the whole document has an OCR time budget.

Table rules are erased before OCR (:func:`erase_rules`, with numpy and Pillow):
Tesseract reads a vertical rule as "|" or swallows the digit beside it, and the
report tables are fully ruled.
"""
from __future__ import annotations

import functools
import os
import re
import tempfile
import time

from ..document import from_text
from . import Converted, limits, tools


@functools.lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    exe = tools.which("tesseract")
    if not exe:
        return ()
    res = tools.run([exe, "--list-langs"], timeout=30)
    if not res.ok:
        return ()
    lines = res.stdout.decode("utf-8", "replace").splitlines()
    return tuple(x.strip() for x in lines[1:] if x.strip())


def available() -> bool:
    return bool(tools.which("tesseract") and tools.which("pdftoppm") and languages())


def missing() -> str:
    need = [name for name in ("tesseract", "pdftoppm") if not tools.which(name)]
    if not need and not languages():
        need = ["tesseract language data"]
    return ", ".join(need) or "nothing"


def _lang(warnings: list[str]) -> str:
    langs = languages()
    if "chi_sim" in langs:
        return "chi_sim"
    warnings.append("Tesseract has no chi_sim data (tesseract-ocr-chi-sim): OCR reads digits and Latin only")
    return "eng" if "eng" in langs else langs[0]


def tesseract(image_path: str, lang: str, timeout: float) -> tools.Result:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    return tools.run([tools.which("tesseract"), image_path, "stdout", "-l", lang, "--psm", "4",
                      "-c", "preserve_interword_spaces=1"],
                     timeout=timeout, memory=limits.TOOL_MEMORY, env=env)


def ocr_pdf_pages(data: bytes, pages: list[int], warnings: list[str]) -> dict[int, str]:
    """{page number (1-based): text} for the pages read; what failed is said in warnings."""
    lang = _lang(warnings)
    done: dict[int, str] = {}
    deadline = time.monotonic() + limits.OCR_TIME_BUDGET
    with tempfile.TemporaryDirectory(prefix="xxgk-ocr-") as tmp:
        src = os.path.join(tmp, "in.pdf")
        with open(src, "wb") as fh:
            fh.write(data)
        for n in pages:
            left = deadline - time.monotonic()
            if left <= 1:
                warnings.append(f"OCR stopped at page {n}: over {limits.OCR_TIME_BUDGET:.0f} s")
                break
            stem = os.path.join(tmp, f"p{n}")
            res = tools.run([tools.which("pdftoppm"), "-f", str(n), "-l", str(n), "-singlefile", "-gray",
                             "-scale-to", str(limits.OCR_SCALE), "-png", src, stem],
                            timeout=min(limits.OCR_PAGE_TIMEOUT, left), memory=limits.TOOL_MEMORY)
            image = stem + ".png"
            if not res.ok or not os.path.exists(image):
                warnings.append(f"OCR: page {n} could not be rendered ({res.error or 'no image'})")
                continue
            erase_rules(image)
            res = tesseract(image, lang, min(limits.OCR_PAGE_TIMEOUT, deadline - time.monotonic()))
            os.unlink(image)
            if not res.ok:
                warnings.append(f"OCR: page {n} could not be read ({res.error})")
                continue
            done[n] = clean(res.stdout.decode("utf-8", "replace"))
    return done


def convert_image(data: bytes) -> Converted:
    """A report published as a picture (JPEG/PNG…): OCR, or image_only without Tesseract."""
    out = Converted(format="image", extra={"ocr": False})
    if not tools.which("tesseract") or not languages():
        out.kind = "image_only"
        out.warnings.append("an image: OCR (tesseract) is not installed, no text read")
        return out
    lang = _lang(out.warnings)
    with tempfile.TemporaryDirectory(prefix="xxgk-ocr-") as tmp:
        path = os.path.join(tmp, "image")
        with open(path, "wb") as fh:
            fh.write(data)
        if erase_rules(path, max_pixels=limits.OCR_SCALE ** 2 * 2):
            path += ".png"
        res = tesseract(path, lang, limits.OCR_PAGE_TIMEOUT)
    text = clean(res.stdout.decode("utf-8", "replace")) if res.ok else ""
    if not text.strip():
        out.kind = "image_only"
        out.warnings.append(f"an image: OCR found no text ({res.error})" if res.error
                            else "an image: OCR found no text")
        return out
    out.extra["ocr"] = True
    out.warnings.append("text read by OCR: numbers may be misread")
    out.document = from_text(text)
    return out


_NUMBER = re.compile(r"^[0-9０-９][0-9０-９,.，]*$")
_ZEROS = re.compile(r"^[oO〇]+$")
_ONES = frozenset("工lI")


def clean(text: str) -> str:
    """OCR output made fit for the table readers.

    A rule read as a bar is a cell boundary; in a row of numbers, "o"/"oo" are
    zeros run together and a lone "工"/"l"/"I" is a one (Tesseract's chi_sim model
    reads small digits in table cells so).
    """
    out = []
    for line in text.replace("|", " ").replace("｜", " ").splitlines():
        tokens = line.split()
        numeric = sum(1 for t in tokens if _NUMBER.match(t))
        if numeric >= 2:
            fixed = []
            for t in line.split(" "):
                if _ZEROS.match(t):
                    t = " ".join("0" * len(t))
                elif t in _ONES:
                    t = "1"
                fixed.append(t)
            line = " ".join(fixed)
        out.append(line)
    return "\n".join(out)


def erase_rules(path: str, max_pixels: int = 12_000_000) -> bool:
    """Whiten long horizontal and vertical dark runs (table rules) in the image at path.

    A page image is rewritten in place; another image is written to ``path + ".png"``.
    False (image left as it is) without numpy/Pillow, for a huge or unreadable image.
    """
    try:
        import numpy as np
        from PIL import Image
    except ImportError:
        return False
    try:
        with Image.open(path) as img:
            if img.width * img.height > max_pixels:
                return False
            a = np.asarray(img.convert("L"))
    except Exception:
        return False
    dark = a < 160
    h, w = dark.shape
    if h < 50 or w < 50:
        return False

    def covered(mask, length):
        """Pixels (per row) inside a run of at least ``length`` dark pixels."""
        rows, n = mask.shape
        c = np.zeros((rows, n + 1), np.int32)
        np.cumsum(mask, axis=1, dtype=np.int32, out=c[:, 1:])
        full = (c[:, length:] - c[:, :-length]) == length     # window starting at j all dark
        f = np.zeros((rows, full.shape[1] + 1), np.int32)
        np.cumsum(full, axis=1, dtype=np.int32, out=f[:, 1:])
        j = np.arange(n)
        lo = np.clip(j - length + 1, 0, full.shape[1])
        hi = np.clip(j + 1, 0, full.shape[1])
        return (f[:, hi] - f[:, lo]) > 0

    rules = covered(dark, max(w // 25, 20)) | covered(dark.T, max(h // 40, 20)).T
    if not rules.any():
        return False
    grown = rules.copy()
    grown[1:, :] |= rules[:-1, :]
    grown[:-1, :] |= rules[1:, :]
    grown[:, 1:] |= rules[:, :-1]
    grown[:, :-1] |= rules[:, 1:]
    b = a.copy()
    b[grown] = 255
    target = path if path.endswith(".png") else path + ".png"
    Image.fromarray(b).save(target)
    return True
