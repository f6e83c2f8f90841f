"""Attachment benchmark: pages/s of PDF table extraction, and its cost relative to pypdf.

For each PDF (the three real reports in tests/fixtures/public/corpus/labelled, plus any given),
times, side by side in the same run:

- full: ``parse_document(pdf_bytes)`` — pypdf layout-mode text of every page, the
  line stream, sections, the three tables, checks: the record a crawl stores;
- plain: pypdf's default ``page.extract_text()`` of every page (no layout), the
  cheapest text the chosen library gives;
- layout: pypdf's ``extract_text(extraction_mode="layout")`` alone, to show where
  the time of a full parse goes.

    python bench/attachments.py [--rounds 5] [--shared tests/fixtures/public] [--also more.pdf …]

Optional: ``--docx`` adds the DOCX fixtures, ``--ocr`` the scanned fixture (one round).
"""
from __future__ import annotations

import argparse
import io
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pypdf import PdfReader  # noqa: E402

from pipelines import parse_document  # noqa: E402
from timing import best_of  # noqa: E402  (bench/ is on sys.path when run as a script)

FIXTURES = REPO / "tests" / "fixtures" / "attachments"



def plain(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def layout(data: bytes) -> str:
    return "\n".join(p.extract_text(extraction_mode="layout") for p in PdfReader(io.BytesIO(data)).pages)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO / "tests" / "fixtures" / "public")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--also", type=Path, nargs="*", default=[], help="more PDF files")
    ap.add_argument("--docx", action="store_true", help="also time the DOCX fixtures")
    ap.add_argument("--ocr", action="store_true", help="also time OCR of the scanned fixture (one round)")
    args = ap.parse_args()
    pdfs = sorted((args.shared / "corpus" / "labelled").glob("*.pdf")) + list(args.also)
    if not pdfs:
        print(f"no PDFs under {args.shared}", file=sys.stderr)
        return 2
    blobs = [(p, p.read_bytes()) for p in pdfs]
    for _, data in blobs:          # warm up imports and font caches
        parse_document(data)
        plain(data)

    print(f"{'file':<14}{'pages':>6}{'full s':>9}{'plain s':>9}{'layout s':>10}"
          f"{'full p/s':>10}{'plain p/s':>11}{'full/plain':>11}{'tables':>8}")
    tot_pages = tot_full = tot_plain = tot_layout = 0.0
    ratios = []
    for path, data in blobs:
        record = parse_document(data)
        pages = record.get("pages") or len(PdfReader(io.BytesIO(data)).pages)
        tables = sum(1 for t in ("active_disclosure", "applications", "reviews_litigation") if record.get(t))
        full = best_of(lambda: parse_document(data), args.rounds)
        pl = best_of(lambda: plain(data), args.rounds)
        lay = best_of(lambda: layout(data), args.rounds)
        ratios.append(full / pl)
        tot_pages += pages
        tot_full += full
        tot_plain += pl
        tot_layout += lay
        print(f"{path.name:<14}{pages:>6}{full:>9.3f}{pl:>9.3f}{lay:>10.3f}"
              f"{pages / full:>10.1f}{pages / pl:>11.1f}{full / pl:>11.2f}{tables:>8}")
    print(f"{'all':<14}{int(tot_pages):>6}{tot_full:>9.3f}{tot_plain:>9.3f}{tot_layout:>10.3f}"
          f"{tot_pages / tot_full:>10.1f}{tot_pages / tot_plain:>11.1f}{tot_full / tot_plain:>11.2f}")
    print(f"\nPDF table extraction (full parse): {tot_pages / tot_full:.1f} pages/s; "
          f"pypdf plain extract_text: {tot_pages / tot_plain:.1f} pages/s; "
          f"ratio full/plain {tot_full / tot_plain:.2f} (median per file {statistics.median(ratios):.2f}); "
          f"layout-mode text alone is {tot_layout / tot_full:.0%} of the full parse")

    if args.docx:
        for name in ("report_001.docx", "report_003.docx"):
            data = (FIXTURES / name).read_bytes()
            t = best_of(lambda: parse_document(data), args.rounds)
            print(f"DOCX {name}: {t * 1000:.1f} ms per document")
    if args.ocr:
        data = (FIXTURES / "scan_003.pdf").read_bytes()
        t = time.perf_counter()
        record = parse_document(data)
        t = time.perf_counter() - t
        print(f"OCR scan_003.pdf: {record.get('pages')} pages in {t:.1f} s = "
              f"{(record.get('pages') or 0) / t:.2f} pages/s (ocr={record.get('ocr')})")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
