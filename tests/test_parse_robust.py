"""Mangled input never raises and never takes unbounded time.

Property-based (hypothesis): random bytes, truncated and corrupted real pages,
tables nested 5,000 deep, a 20 MB page. The time bounds are generous ceilings
that catch runaway (quadratic, exponential) behaviour, not speed targets — those
are measured by bench/parse.py.
"""
from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines import parse_document
from pipelines.labels import APPLICANT_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted((FIXTURES / "reports").glob("*.html")) + sorted((FIXTURES / "quirks").glob("*"))
SAMPLES = [p.read_bytes() for p in PAGES]

RELAXED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_record(record):
    assert isinstance(record, dict)
    for key in ("title", "agency", "report_year", "publish_date", "sections", "checks", "warnings", "kind"):
        assert key in record
    for name in ("active_disclosure", "applications", "reviews_litigation"):
        assert record[name] is None or isinstance(record[name], dict)
    if record["applications"]:
        for row in record["applications"].values():
            assert set(row) == set(APPLICANT_COLUMNS)
            assert all(isinstance(v, (int, float)) for v in row.values())


@RELAXED
@given(st.binary(max_size=5000))
def test_random_bytes(data):
    assert_record(parse_document(data))


@RELAXED
@given(st.text(max_size=3000))
def test_random_text(text):
    assert_record(parse_document(text))


@RELAXED
@given(st.sampled_from(SAMPLES), st.floats(0, 1))
def test_truncated_pages(page, fraction):
    assert_record(parse_document(page[: int(len(page) * fraction)]))


@RELAXED
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=8)), max_size=20))
def test_corrupted_pages(page, edits):
    data = bytearray(page)
    for where, junk in edits:
        i = int(len(data) * where)
        data[i:i + len(junk)] = junk
    assert_record(parse_document(bytes(data)))


@RELAXED
@given(st.sampled_from(SAMPLES), st.integers(2, 6))
def test_shuffled_and_repeated_lines(page, k):
    lines = page.split(b"\n")
    mangled = b"\n".join(lines[i] for i in range(0, len(lines), k)) + b"\n".join(lines) * 2
    assert_record(parse_document(mangled))


@RELAXED
@given(st.lists(st.sampled_from(["<table>", "<tr>", "<td>", "</td>", "</tr>", "</table>", "一、总体情况",
                                 "本年新收", "0", "&nbsp;", "<td rowspan=99999>", "<td colspan=-3>",
                                 "<p>", "行政复议", "结果维持", "（六）其他处理", "1,2,3"]), max_size=300))
def test_random_table_markup(parts):
    assert_record(parse_document("<html><body>" + "".join(parts) + "</body></html>"))


def test_table_nested_5000_deep():
    html = "<html><body>" + "<table><tr><td>" * 5000 + "一、总体情况 本年新收 0" + "</td></tr></table>" * 5000
    start = time.perf_counter()
    assert_record(parse_document(html.encode()))
    assert time.perf_counter() - start < 30


def test_20_megabyte_page():
    row = "<tr><td>一、本年新收政府信息公开申请数量</td>" + "<td>1</td>" * 7 + "</tr>"
    para = "<p>二〇二三年，本机关认真贯彻落实《条例》，依申请公开工作规范有序。</p>"
    body = (para * 50 + "<table>" + row * 20 + "</table>") * 2600
    html = ("<html><head><title>某县2023年政府信息公开工作年度报告</title></head><body>" + body + "</body></html>").encode()
    assert len(html) > 20_000_000
    start = time.perf_counter()
    assert_record(parse_document(html))
    assert time.perf_counter() - start < 120


def test_20_megabyte_text():
    text = ("三、收到和处理政府信息公开申请情况\n" + "（一）予以公开 1 2 3\n" * 40 + "正文" * 2000 + "\n") * 1600
    assert len(text.encode()) > 20_000_000
    start = time.perf_counter()
    assert_record(parse_document(text.encode()))
    assert time.perf_counter() - start < 120
