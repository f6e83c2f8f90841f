"""Attachments: real PDFs, Word fixtures with real merged cells, scans, and bad input.

The three labelled PDFs are real reports; tests/fixtures/attachments holds the
official Word template filled with their numbers (DOCX, and DOC made by
LibreOffice) and a scan of one (no text layer) for OCR; make_attachments.py
there regenerates them. OCR and DOC need Debian's tesseract-ocr,
tesseract-ocr-chi-sim, poppler-utils and LibreOffice (.ci/apt-packages.txt): in CI
their absence is a failure, not a skip (tests/tools.py, conftest.py).
"""
from __future__ import annotations

import io
import json
import os
import time
import zipfile
from pathlib import Path

import pytest

from pipelines import parse_document
from pipelines.formats import convert, limits
from pipelines.formats.compare import compare_copies
from tests.expected import field_diffs
from tests.tools import require

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO / "tests" / "fixtures" / "public"
LABELLED = SHARED / "corpus" / "labelled"
FIXTURES = REPO / "tests" / "fixtures" / "attachments"



def expected(label: str) -> dict:
    return json.loads((LABELLED / f"{label}.expected.json").read_text(encoding="utf-8"))


def text_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of Latin text per page (Helvetica)."""
    objs: list[bytes] = []
    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                    f"/Contents {5 + 2 * i} 0 R >>".encode())
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs):
        offsets.append(out.tell())
        out.write(f"{i + 1} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def bounded(data: bytes, seconds: float = 30.0, **kw) -> dict:
    start = time.monotonic()
    record = parse_document(data, **kw)
    assert time.monotonic() - start < seconds
    return record


# --------------------------------------------------------------------------- real PDFs

@pytest.mark.parametrize("label", ["001", "002", "003"])
def test_real_pdfs_reproduce_every_expected_value(label):
    record = parse_document((LABELLED / f"{label}.pdf").read_bytes())
    n, diffs = field_diffs(record, expected(label))
    assert n > 60
    assert diffs == []
    assert record["format"] == "pdf" and record["kind"] == "report"
    assert record["ocr"] is False and record["pages"] in (5, 6)
    assert record["warnings"] == []


def test_pdf_tables_cross_page_breaks_and_footers():
    """001: tables 2 and 3 are cut by page breaks with "-4-" footers inside; all rows are read."""
    record = parse_document((LABELLED / "001.pdf").read_bytes())
    assert len(record["applications"]) == 25
    assert [s["number"] for s in record["sections"]] == [1, 2, 3, 4, 5, 6]
    assert {c["status"] for c in record["checks"]} == {"pass"}


def test_pdf_text_matches_the_labelled_text():
    """The layout text is as good as the hand-made .txt beside each PDF: the same lines
    with the same characters (pypdf versions differ only in the spaces they put in)."""
    from pipelines.document import from_text, tight
    from pipelines.formats.pdf import convert_pdf
    for label in ("001", "002", "003"):
        doc = convert_pdf((LABELLED / f"{label}.pdf").read_bytes()).document
        ours = [tight(line.text) for line in doc.lines]
        theirs = [tight(line.text) for line in from_text((LABELLED / f"{label}.txt").read_text("utf-8")).lines]
        assert ours == theirs


# --------------------------------------------------------------------------- Word

@pytest.mark.parametrize("name, label", [("report_001.docx", "001"), ("report_003.docx", "003")])
def test_docx_with_merged_cells_reproduces_every_value(name, label):
    record = parse_document((FIXTURES / name).read_bytes())
    n, diffs = field_diffs(record, expected(label))
    assert n > 60
    assert diffs == []
    assert record["format"] == "docx" and record["kind"] == "report"
    assert record["warnings"] == []
    assert len(record["applications"]) == 25


def test_docx_grid_expands_gridspan_and_vmerge():
    from pipelines.formats.word import convert_zip
    doc = convert_zip((FIXTURES / "report_003.docx").read_bytes()).document
    rows = [line for line in doc.lines if line.table == 1]
    widths = {len(line.cells) for line in rows}
    assert widths == {10}                      # 3 label columns + 7 values, every row
    head = rows[1]                             # vMerge continue under the 勾稽关系 cell
    assert [c.origin for c in head.cells[:3]] == [False, False, False]
    assert head.cells[0].text.startswith("（本列数据的勾稽关系")
    granted = next(line for line in rows if "予以公开" in line.text)
    assert granted.cells[0].text == "三、本年度办理结果" and granted.cells[0].origin  # vMerge restart
    assert granted.cells[1].origin and not granted.cells[2].origin   # gridSpan=2
    assert [c.text for c in granted.cells[3:]] == ["50", "0", "0", "0", "0", "0", "50"]
    partial = rows[rows.index(granted) + 1]                            # vMerge continue: a copy
    assert partial.cells[0].text == "三、本年度办理结果" and partial.cells[0].origin is False


def test_doc_via_libreoffice_reproduces_every_value():
    require("libreoffice")
    record = bounded((FIXTURES / "report_003.doc").read_bytes(), 150)
    n, diffs = field_diffs(record, expected("003"))
    assert diffs == [] and n > 60
    assert record["format"] == "doc" and record["converted_by"] == "libreoffice"


def test_doc_without_libreoffice_warns(monkeypatch):
    from pipelines.formats import tools
    monkeypatch.setattr(tools, "which", lambda name: None)
    record = parse_document((FIXTURES / "report_003.doc").read_bytes())
    assert record["format"] == "doc" and record["kind"] == "unreadable"
    assert any("LibreOffice" in w for w in record["warnings"])


def test_wps_is_told_from_doc_by_its_producer():
    from pipelines.formats.office import ole_format
    doc = (FIXTURES / "report_003.doc").read_bytes()
    assert ole_format(doc) == "doc"
    assert ole_format(doc + "WPS Office".encode("utf-16-le")) == "wps"
    xls = doc.replace("WordDocument".encode("utf-16-le"), "Workbook".encode("utf-16-le") + bytes(8))
    assert ole_format(xls) == "xls"
    record = parse_document(xls)
    assert record["format"] == "xls" and "Excel" in record["warnings"][0]


def test_damaged_doc_warns():
    require("libreoffice")
    data = (FIXTURES / "report_003.doc").read_bytes()
    record = bounded(data[:3000], 150)          # directory lost
    assert record["kind"] == "unreadable" and "damaged" in record["warnings"][0]
    broken = data[:1024] + bytes(len(data) - 2048) + data[-1024:]   # streams zeroed
    record = bounded(broken, 150)
    assert record["kind"] != "report" and record["warnings"]


# --------------------------------------------------------------------------- scans

def test_scanned_pdf_is_read_by_ocr():
    require("tesseract", "poppler")
    record = bounded((FIXTURES / "scan_003.pdf").read_bytes(), 240)
    assert record["ocr"] is True and record["ocr_pages"] == [1, 2, 3, 4, 5]
    assert record["kind"] == "report"
    exp = expected("003")
    assert record["title"] == exp["title"] and record["report_year"] == 2024
    assert [s["number"] for s in record["sections"]] == [1, 2, 3, 4, 5, 6]
    assert record["active_disclosure"] == exp["active_disclosure"]
    assert record["reviews_litigation"] == exp["reviews_litigation"]
    n, diffs = field_diffs(record, exp)
    assert len(diffs) <= 10, diffs            # OCR: a misread row is dropped, not invented
    assert any("OCR" in w for w in record["warnings"])


def test_mixed_pdf_ocrs_only_the_scanned_page():
    require("tesseract", "poppler")
    from pypdf import PdfReader, PdfWriter
    w = PdfWriter()
    w.add_page(PdfReader(LABELLED / "003.pdf").pages[0])
    w.add_page(PdfReader(FIXTURES / "scan_003.pdf").pages[1])
    buf = io.BytesIO()
    w.write(buf)
    record = bounded(buf.getvalue(), 120)
    assert record["ocr"] is True and record["ocr_pages"] == [2]
    assert any("page(s) 2 read by OCR" in x for x in record["warnings"])
    assert record["active_disclosure"]["licensing"]["decisions"] == 9487


def test_ocr_is_capped_in_pages_and_time(monkeypatch):
    require("tesseract", "poppler")
    data = (FIXTURES / "scan_003.pdf").read_bytes()
    monkeypatch.setattr(limits, "MAX_OCR_PAGES", 1)
    record = bounded(data, 60)
    assert record["ocr_pages"] == [1]
    assert any("only the first 1 of 5 scanned pages" in w for w in record["warnings"])
    monkeypatch.setattr(limits, "OCR_TIME_BUDGET", 0.0)
    record = bounded(data, 30)
    assert record["kind"] == "image_only" and any("OCR stopped" in w for w in record["warnings"])


def test_scanned_pdf_without_ocr_is_image_only(monkeypatch):
    from pipelines.formats import ocr
    monkeypatch.setattr(ocr, "available", lambda: False)
    record = parse_document((FIXTURES / "scan_003.pdf").read_bytes())
    assert record["kind"] == "image_only" and record["ocr"] is False
    assert any("OCR" in w and "not installed" in w for w in record["warnings"])


def test_image_attachment_is_ocr_or_image_only():
    require("tesseract", "poppler")
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-f", "2", "-l", "2", "-singlefile", "-r", "150", "-png",
                        str(FIXTURES / "scan_003.pdf"), os.path.join(tmp, "p")], check=True, timeout=60)
        png = Path(tmp, "p.png").read_bytes()
    record = bounded(png, 120)
    assert record["format"] == "image" and record["ocr"] is True
    assert record["active_disclosure"]["licensing"]["decisions"] == 9487


# --------------------------------------------------------------------------- bad input

def test_encrypted_pdf_with_a_password_warns():
    from pypdf import PdfReader, PdfWriter
    w = PdfWriter(clone_from=PdfReader(LABELLED / "003.pdf"))
    w.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    w.write(buf)
    record = bounded(buf.getvalue())
    assert record["kind"] == "unreadable" and record["format"] == "pdf"
    assert any("encrypted" in x and "password" in x for x in record["warnings"])


def test_encrypted_pdf_with_empty_password_is_read():
    from pypdf import PdfReader, PdfWriter
    w = PdfWriter(clone_from=PdfReader(LABELLED / "003.pdf"))
    w.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    w.write(buf)
    record = bounded(buf.getvalue())
    n, diffs = field_diffs(record, expected("003"))
    assert diffs == [] and record["encrypted"] is True


@pytest.mark.parametrize("data", [b"%PDF-1.7\n" + os.urandom(4000), b"%PDF-", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog"],
                         ids=["garbage", "header-only", "cut-object"])
def test_corrupt_pdf_warns(data):
    record = bounded(data)
    assert record["format"] == "pdf" and record["kind"] == "unreadable"
    assert record["warnings"]


@pytest.mark.parametrize("keep", [0.9, 0.5, 0.1])
def test_truncated_pdf_warns_or_reads_what_is_there(keep):
    data = (LABELLED / "001.pdf").read_bytes()
    record = bounded(data[: int(len(data) * keep)])
    assert record["format"] == "pdf"
    assert record["warnings"]                  # never silent about the damage


def test_300_page_pdf_is_capped_with_a_warning():
    data = text_pdf([f"Page {i + 1} of the report" for i in range(300)])
    record = bounded(data, 60)
    assert record["pages"] == 300
    assert any(f"only the first {limits.MAX_PDF_PAGES}" in w for w in record["warnings"])


def test_pdf_time_budget_stops_extraction(monkeypatch):
    monkeypatch.setattr(limits, "PDF_TIME_BUDGET", 0.0)
    record = parse_document(text_pdf(["a page of text"] * 5))
    assert any("stopped after 0 of 5 pages" in w for w in record["warnings"])


def test_docx_zip_bomb_is_refused_before_inflating():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<w:document>" + b" " * (limits.MAX_ZIP_UNCOMPRESSED + 1024) + b"</w:document>")
    data = buf.getvalue()
    assert len(data) < 200_000
    record = bounded(data, 10)
    assert record["kind"] == "unreadable" and record["format"] == "docx"
    assert any("zip bomb" in w for w in record["warnings"])


def test_corrupt_and_non_word_zips_warn():
    record = bounded(b"PK\x03\x04" + os.urandom(2000))
    assert record["kind"] == "unreadable" and record["warnings"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    record = bounded(buf.getvalue())
    assert record["format"] == "xlsx" and "not a Word document" in record["warnings"][0]


def test_truncated_docx_warns():
    data = (FIXTURES / "report_003.docx").read_bytes()
    record = bounded(data[: len(data) // 2])
    assert record["kind"] == "unreadable" and record["warnings"]


def test_extension_lies_content_decides():
    """A .docx that is really a PDF is read as a PDF; a .pdf that is really HTML as HTML."""
    record = parse_document((LABELLED / "003.pdf").read_bytes(), url="http://example.gov.cn/report.docx")
    assert record["format"] == "pdf" and field_diffs(record, expected("003"))[1] == []
    page = next((REPO / "tests" / "fixtures" / "reports").glob("*.html"))
    record = parse_document(page.read_bytes(), url="http://example.gov.cn/report.pdf")
    assert record["format"] == "html" and record["kind"] == "report"
    record = parse_document((FIXTURES / "report_001.docx").read_bytes(), url="http://example.gov.cn/x.pdf")
    assert record["format"] == "docx" and field_diffs(record, expected("001"))[1] == []


def test_converter_errors_become_warnings(monkeypatch):
    from pipelines.formats import word

    def boom(data):
        raise RuntimeError("bug")
    monkeypatch.setattr(word, "convert_zip", boom)
    record = parse_document((FIXTURES / "report_003.docx").read_bytes())
    assert record["kind"] == "unreadable" and "RuntimeError" in record["warnings"][0]


def test_unknown_binary_is_not_converted():
    assert convert("binary", b"\x00\x01") is None


# --------------------------------------------------------------------------- both copies

def _report(**tables) -> dict:
    return {"kind": "report", "report_year": 2024, "active_disclosure": None, "applications": None,
            "reviews_litigation": None, **tables}


def test_compare_copies_pass_fail_and_not_assessable():
    rl = {"review": {"upheld": 1, "corrected": 1, "other": 0, "pending": 0, "total": 2}}
    ad = {"fees": {"amount": 7545}}
    same = compare_copies(_report(reviews_litigation=rl, active_disclosure=ad),
                          _report(reviews_litigation=rl, active_disclosure={"fees": {"amount": 7545.0}}))
    assert same["name"] == "copies_agree" and same["status"] == "pass" and same["detail"] == "6 cells agree"
    other = {"review": {**rl["review"], "total": 3}}
    diff = compare_copies(_report(reviews_litigation=rl, active_disclosure=ad), _report(reviews_litigation=other))
    assert diff["status"] == "fail"
    assert "reviews_litigation.review.total: 2 ≠ 3" in diff["detail"]
    assert "active_disclosure only in the page" in diff["detail"]
    assert compare_copies(_report(), _report())["status"] == "not_assessable"
    assert compare_copies(_report(reviews_litigation=rl), {"kind": "image_only"})["status"] == "not_assessable"


def test_compare_copies_of_a_real_report():
    """The PDF and the Word copy of 003 agree; a changed cell is named."""
    pdf = parse_document((LABELLED / "003.pdf").read_bytes())
    word = parse_document((FIXTURES / "report_003.docx").read_bytes())
    # the PDF prints （六）其他处理 as one row, the Word template as three: not compared, not a failure
    check = compare_copies(pdf, word)
    assert check["status"] == "pass", check["detail"]
    word["applications"]["granted"]["total"] = 51
    check = compare_copies(pdf, word)
    assert check["status"] == "fail"
    assert check["detail"].startswith("page ≠ attachment: applications.granted.total: 50 ≠ 51")
