"""Shared fixtures (keep minimal and additive)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO / "tests" / "fixtures" / "public"  # copies of the steering repo's shared/ (see its README)
ARTIFACTS = REPO / "artifacts"  # gitignored; CI keeps it as the test artifacts folder


def _seed_sections(record: dict, text: str) -> list[dict]:
    """Attach to the seed record's section headings the text between them in the .txt."""
    sections = record.get("sections") or []
    marks = []
    for s in sections:
        m = re.search(r"^[一二三四五六]、\s*" + re.escape(s["heading"]), text, re.M)
        marks.append(m.start() if m else None)
    out = []
    for i, s in enumerate(sections):
        start = marks[i]
        end = next((m for m in marks[i + 1:] if m is not None), len(text))
        body = text[start:end].split("\n", 1)[-1].strip() if start is not None else ""
        out.append({**s, "text": body})
    return out


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED


@pytest.fixture(scope="session")
def seed_record(shared_dir) -> dict:
    """The hand-checked seed record, with section text cut from the seed .txt."""
    rec = json.loads((shared_dir / "seed/tuoli-2023-report.expected.json").read_text("utf-8"))
    txt = (shared_dir / "seed/tuoli-2023-report.txt").read_text("utf-8")
    rec["sections"] = _seed_sections(rec, txt)
    rec.setdefault("kind", "report")
    return rec


@pytest.fixture(scope="session")
def labelled_records(shared_dir) -> list[tuple[Path, dict]]:
    """(path of the .txt, hand-checked record) for corpus/labelled/*.expected.json."""
    out = []
    for p in sorted((shared_dir / "corpus/labelled").glob("*.expected.json")):
        rec = json.loads(p.read_text("utf-8"))
        rec.setdefault("kind", "report")
        txt = p.with_name(p.name.replace(".expected.json", ".txt"))
        out.append((txt, rec))
    return out


@pytest.fixture()
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# ---------------------------------------------------------------- CI: a skip is a failure
# CI installs every optional tool (`xxgk doctor --install`, .ci/run), so there a test that
# skips (a missing tool, a missing module) did not test what it promises: it fails instead.
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if IN_CI and rep.skipped and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = "failed"
        rep.longrepr = f"skipped in CI (CI={os.environ.get('CI')}), where nothing may skip: {reason}"


_SKIPPED_MODULES: list[str] = []


def pytest_collectreport(report):
    """A module-level skip (importorskip…) in CI: the run goes on, then fails (below)."""
    if IN_CI and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _SKIPPED_MODULES.append(f"{report.nodeid}: {reason}")


def pytest_terminal_summary(terminalreporter):
    for line in _SKIPPED_MODULES:
        terminalreporter.write_line(f"module skipped in CI, where nothing may skip: {line}", red=True)


def pytest_sessionfinish(session, exitstatus):
    if _SKIPPED_MODULES and session.exitstatus == 0:
        session.exitstatus = 1
