"""Is a list entry an annual disclosure report?  Decided from its title alone.

Columns mix reports with 解读 (explanations), 图解/图片版 (infographics, scans),
notices about compiling reports and unrelated news, so the column is no evidence:
the title is.  :func:`classify_title` returns ``("report", "")`` or
``("skip", reason)``; the words are the parser's (:mod:`pipelines.metadata`), so the
crawler skips exactly what the parser would call ``not_report``.
"""
from __future__ import annotations

import re

from pipelines.metadata import DISCLOSURE_WORDS, has_year, is_report_title, title_rule

_SPACE = re.compile(r"[\s\u3000\xa0]+")


def normalise_title(title: str | None) -> str:
    return _SPACE.sub("", title or "").strip()


def classify_title(title: str | None) -> tuple[str, str]:
    """Return ``("report", "")`` when *title* names a disclosure annual report,
    else ``("skip", reason)`` with reason one of interpretation, infographic,
    notice, other_report (the parser's :data:`pipelines.metadata.TITLE_RULES`),
    not_report, empty.

    >>> classify_title("柘城县扶贫办2017年政府信息年度报告")
    ('report', '')
    >>> classify_title("《2023年政府信息公开工作年度报告》解读")
    ('skip', 'interpretation')
    """
    t = normalise_title(title)
    if not t:
        return "skip", "empty"
    rule = title_rule(t)
    if rule:
        return "skip", rule[0]
    if not has_year(t):
        return "skip", "not_report"   # a column name (信息公开年报), not a report
    return ("report", "") if is_report_title(t) else ("skip", "not_report")


def is_truncated(title: str | None) -> bool:
    """List pages often cut long titles ("…2023年政府信息公开工…")."""
    t = normalise_title(title)
    return t.endswith(("...", "…", ".."))


def maybe_report(title: str | None) -> bool:
    """A truncated title that might be a report: fetch it and let the parser decide."""
    t = normalise_title(title)
    return is_truncated(t) and bool(DISCLOSURE_WORDS.search(t) or "年度" in t or "年报" in t)
