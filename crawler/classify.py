"""Is a list entry an annual disclosure report?  Decided from its title alone.

Columns mix reports with 解读 (explanations), 图解/图片版 (infographics, scans),
notices about compiling reports and unrelated news, so the column is no evidence:
the title is.  :func:`classify_title` returns ``("report", "")`` or
``("skip", reason)``.
"""
from __future__ import annotations

import re

_SPACE = re.compile(r"[\s\u3000\xa0]+")

# (reason, pattern) — checked before the report pattern: a 解读 of a report
# mentions 年度报告 too.
SKIP_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("interpretation", re.compile(r"解读|答记者问|问答")),
    ("infographic", re.compile(r"图解|图片版|一图读懂|一图看懂|图说|长图|视频")),
    ("notice", re.compile(r"通知|公告|总结|编制|报送|发布会|工作会|会议|函$|意见|方案|征集|公示")),
    ("other_report", re.compile(r"报表|决算|预算|指南|目录|提案|议案|统计公报|审计")),
]

_SUBJECT = re.compile(r"政府信息公开|政务信息公开|政务公开|信息公开|政府信息|政务信息")
_REPORT = re.compile(r"年度?报告|年报|工作报告|公开报告|年度工作报告|报告")
_YEAR = re.compile(r"(?:19|20)\d\d|[〇零一二][〇零一二三四五六七八九]{3}")


def normalise_title(title: str | None) -> str:
    return _SPACE.sub("", title or "").strip()


def classify_title(title: str | None) -> tuple[str, str]:
    """Return ``("report", "")`` when *title* names a disclosure annual report,
    else ``("skip", reason)`` with reason one of interpretation, infographic,
    notice, other_report, not_report, empty.

    >>> classify_title("柘城县扶贫办2017年政府信息年度报告")
    ('report', '')
    >>> classify_title("《2023年政府信息公开工作年度报告》解读")
    ('skip', 'interpretation')
    """
    t = normalise_title(title)
    if not t:
        return "skip", "empty"
    for reason, pattern in SKIP_RULES:
        if pattern.search(t):
            return "skip", reason
    if not _YEAR.search(t):
        return "skip", "not_report"   # a column name (信息公开年报), not a report
    if _SUBJECT.search(t) and _REPORT.search(t):
        return "report", ""
    if "年度报告" in t or "年报" in t:
        return "report", ""
    return "skip", "not_report"


def is_truncated(title: str | None) -> bool:
    """List pages often cut long titles ("…2023年政府信息公开工…")."""
    t = normalise_title(title)
    return t.endswith(("...", "…", "..")) 


def maybe_report(title: str | None) -> bool:
    """A truncated title that might be a report: fetch it and let the parser decide."""
    t = normalise_title(title)
    return is_truncated(t) and bool(_SUBJECT.search(t) or "年度" in t or "年报" in t)
