"""`xxgk parse`: UTF-8 JSON on stdout, one line on stderr and a non-zero exit on bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
PAGE = FIXTURES / "reports" / "trs_qinghuai_city_2024.html"


def xxgk(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, cwd=cwd,
                          timeout=120)


def test_parse_prints_utf8_json():
    out = xxgk("parse", str(PAGE), "--url", "http://www.example.gov.cn/xxgk/ndbg/t20250120_1.html")
    assert out.returncode == 0, out.stderr
    assert "年度报告".encode() in out.stdout          # not ASCII-escaped
    record = json.loads(out.stdout.decode("utf-8"))
    assert record["url"] == "http://www.example.gov.cn/xxgk/ndbg/t20250120_1.html"
    assert record["kind"] == "report"
    assert record["applications"]["new_received"]["total"] == 3119


def test_parse_encoding_hint(tmp_path):
    page = tmp_path / "gbk.html"
    page.write_bytes("<html><body><h1>某县2023年政府信息公开工作年度报告</h1><p>一、总体情况</p></body></html>".encode("gbk"))
    out = xxgk("parse", str(page), "--encoding", "gbk")
    assert out.returncode == 0
    assert json.loads(out.stdout)["title"] == "某县2023年政府信息公开工作年度报告"


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"", "empty file"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf"),
    (bytes(range(256)) * 10, "not a report document"),
    (b"PK\x03\x04" + b"\x00" * 60, "zip"),
], ids=["missing", "empty", "corrupt-pdf", "binary", "corrupt-zip"])
def test_bad_input_is_one_line_error(tmp_path, content, message):
    path = tmp_path / "input.html"
    if content is not None:
        path.write_bytes(content)
    out = xxgk("parse", str(path))
    assert out.returncode != 0
    err = out.stderr.decode()
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert out.stdout == b""


def test_parse_accepts_a_pdf_attachment():
    pdf = Path(__file__).resolve().parent / "fixtures" / "public" / "corpus" / "labelled" / "003.pdf"
    out = xxgk("parse", str(pdf))
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert record["format"] == "pdf"
    assert record["applications"]["new_received"]["total"] == 95


def test_folder_is_one_line_error(tmp_path):
    out = xxgk("parse", str(tmp_path))
    assert out.returncode == 2 and b"is a folder" in out.stderr and b"Traceback" not in out.stderr
