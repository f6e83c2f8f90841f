"""Real documents reproduce their hand-checked records, field by field.

The seed and tests/fixtures/public/corpus/labelled (copies of the project's shared corpus) are real reports (text of real PDFs);
tests/fixtures/reports are report pages built in real portal markup from them;
tests/fixtures/public/corpus/docs are real portal pages whose metadata manifest.json gives.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines import parse_document
from tests.expected import field_diffs

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO / "tests" / "fixtures" / "public"
FIXTURES = REPO / "tests" / "fixtures" / "reports"



def _labelled():
    pairs = [(SHARED / "seed" / "tuoli-2023-report.txt", SHARED / "seed" / "tuoli-2023-report.expected.json")]
    for exp in sorted((SHARED / "corpus" / "labelled").glob("*.expected.json")):
        pairs.append((exp.with_name(exp.name.replace(".expected.json", ".txt")), exp))
    return pairs


@pytest.mark.parametrize("source, expected", _labelled(), ids=lambda p: p.name)
def test_labelled_documents_reproduce_every_value(source, expected):
    record = parse_document(source.read_bytes())
    n, diffs = field_diffs(record, json.loads(expected.read_text(encoding="utf-8")))
    assert n > 60
    assert diffs == []
    assert record["warnings"] == []


def test_seed_checks_and_full_table3():
    record = parse_document((SHARED / "seed" / "tuoli-2023-report.txt").read_bytes())
    assert {c["name"]: c["status"] for c in record["checks"]} == {
        "tables_read": "pass", "applications_balance": "pass", "applications_total_column": "pass",
        "applications_total_handled": "pass", "review_total": "pass",
        "litigation_direct_total": "pass", "litigation_after_review_total": "pass"}
    assert len(record["applications"]) == 24
    assert [s["number"] for s in record["sections"]] == [1, 2, 3, 4, 5, 6]
    assert record["sections"][5]["text"].startswith("本机关按照")
    assert record["kind"] == "report" and record["balance_ok"] is True


def test_printed_inconsistency_is_kept_and_flagged():
    """labelled/002 prints table-4 totals of 0 beside non-zero parts: kept as printed, check fails."""
    record = parse_document((SHARED / "corpus" / "labelled" / "002.txt").read_bytes())
    assert record["reviews_litigation"]["review"]["total"] == 0
    checks = {c["name"]: c for c in record["checks"]}
    assert checks["review_total"]["status"] == "fail"
    assert checks["review_total"]["detail"] == "10+1+0+0 = 11 ≠ 0"
    assert checks["litigation_after_review_total"]["status"] == "fail"
    assert checks["applications_balance"]["status"] == "pass"


@pytest.mark.parametrize("expected", sorted(FIXTURES.glob("*.expected.json")), ids=lambda p: p.name.split(".")[0])
def test_fixture_pages_reproduce_every_value(expected):
    page = expected.with_name(expected.name.replace(".expected.json", ".html"))
    record = parse_document(page.read_bytes())
    n, diffs = field_diffs(record, json.loads(expected.read_text(encoding="utf-8")))
    assert diffs == []
    assert n >= 10


def _manifest():
    return [d for d in json.loads((SHARED / "corpus" / "manifest.json").read_text(encoding="utf-8"))
            if d.get("format") == "html-page" and d.get("title")]


@pytest.mark.parametrize("doc", _manifest(), ids=lambda d: d["file"])
def test_real_portal_pages_metadata(doc):
    record = parse_document((SHARED / "corpus" / doc["file"]).read_bytes())
    assert record["kind"] == "report"
    assert record["title"] == doc["title"]
    assert record["agency"] == doc["agency"]
    assert record["report_year"] == doc["report_year"]
    assert record["publish_datetime"] == doc["published"].replace(" ", "T") + "+08:00"
    assert record["source"] == doc["content_source"]
    assert record["clicks"] is None            # script-filled on this portal
    assert record["template"] == "old"
    assert record["applications"] is None      # old layout: no tables invented
    assert len(record["sections"]) >= 3


@pytest.mark.parametrize("name", ["116.html", "117.html", "118.html", "119.html", "123.html", "124.html"])
def test_real_list_pages_are_not_reports(name):
    record = parse_document((SHARED / "corpus" / "docs" / name).read_bytes())
    assert record["kind"] == "not_report"
    assert record["applications"] is None
