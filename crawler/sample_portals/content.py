"""Documents for the sample portals: the real corpus pages bundled in ``data/``,
the report fixtures of ``tests/fixtures/reports`` when present, and a few
non-report items (解读, 图解, notices) that real columns mix in.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).with_name("data")
REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "reports"


@dataclass
class Doc:
    """One article of a sample portal."""

    title: str
    date: str                        # YYYY-MM-DD as shown in lists
    time: str = "09:30:00"
    agency: str = ""
    body_html: str = ""              # fragment wrapped in the platform's furniture
    raw: bytes | None = None         # a whole real page, served as is
    is_report: bool = True
    source: str = ""                 # where the content comes from (corpus file)
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (file name, link text)
    year: int | None = None
    file: bytes | None = None        # a report published only as a file (PDF, DOC…), served as is


def _read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def data_file(name: str) -> bytes:
    """A document of ``data/`` (the real PDFs 001–003, the DOC/DOCX built from 003)."""
    return _read(name)


def damaged(name: str, keep: float = 0.3) -> bytes:
    """The first part of a real file: a download cut short (a corrupt attachment)."""
    data = _read(name)
    return data[:int(len(data) * keep)]


FILE_TYPES = {".pdf": "application/pdf", ".doc": "application/msword", ".wps": "application/kswps",
              ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def file_type(name: str) -> str:
    return FILE_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def text_to_html(text: str) -> str:
    """A flattened report text as the paragraphs a CMS editor would produce."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            out.append(f"<p>{html.escape(line)}</p>")
    return "\n".join(out)


def manifest() -> dict[str, dict]:
    return {Path(d["file"]).name: d for d in json.loads((DATA / "manifest.json").read_text("utf-8"))}


def zhecheng_docs() -> list[tuple[str, Doc]]:
    """docs/101–115: real EmpireCMS pages of 柘城县 departments (2017), served byte for byte
    at their original paths."""
    out = []
    for name, meta in sorted(manifest().items()):
        n = int(name.split(".")[0])
        if 101 <= n <= 115:
            path = meta["source"]["path"]  # xxgk/xxgknb/bmnb/2018-07-12/7477.html
            date, time = meta["published"].split()
            out.append(("/" + path, Doc(title=meta["title"], date=date, time=time, agency=meta["agency"],
                                        raw=_read(name), source=f"corpus docs/{name}", year=meta["report_year"])))
    return out


def jilin_trs_docs() -> list[tuple[str, Doc]]:
    """docs/120–122: real TRS WCM pages (a 吉林市林业局 site, re-hosted)."""
    out = []
    titles = {"120.html": ("市林业局2016年政务公开年度报告", "2017-05-30", "10:57:00", 2016),
              "121.html": ("市林业局2018年政务公开年度报告", "2018-12-24", "13:54:00", 2018),
              "122.html": ("吉林省安图县林业局-安图县林业局2018年政务公开报告", "2019-03-07", "15:09:00", 2018)}
    for name, meta in sorted(manifest().items()):
        if name in titles:
            title, date, time, year = titles[name]
            path = "/" + meta["source"]["original_url"].split("atxlyj.cn/", 1)[1].split(" ")[0]
            out.append((path, Doc(title=title, date=date, time=time, agency="吉林市林业局", raw=_read(name),
                                  source=f"corpus docs/{name}", year=year)))
    return out


def text_docs() -> dict[str, Doc]:
    """The seed (托里县) and the three labelled 淮安 reports, as text."""
    docs = {}
    seed = (DATA / "tuoli-2023-report.txt").read_text("utf-8")
    # drop the render-date line and the title/metadata lines: the furniture shows them
    body = seed.split("一、总体情况", 1)[1]
    docs["tuoli"] = Doc(title="托里县政务服务中心2023年政府信息公开工作年度报告", date="2024-01-29", time="17:25:39",
                        agency="托里县政务服务中心", body_html=text_to_html("一、总体情况" + body),
                        source="seed/tuoli-2023-report.txt", year=2023)
    dates = {"001": "2025-03-28", "002": "2024-01-26", "003": "2025-01-24"}
    for n in ("001", "002", "003"):
        exp = json.loads((DATA / f"{n}.expected.json").read_text("utf-8"))
        text = (DATA / f"{n}.txt").read_text("utf-8")
        docs[n] = Doc(title=exp["title"], date=dates[n], agency=exp["agency"], body_html=text_to_html(text),
                      source=f"corpus labelled/{n}.txt", year=exp["report_year"],
                      attachments=[(f"{n}.pdf", exp["title"] + ".pdf")])
    return docs


PLATFORM_HINTS = {
    "trs": ("trs",), "hanweb": ("hanweb", "jcms"), "gkmlpt": ("gkmlpt",), "epoint": ("epoint", "ewb"),
    "smallcms": ("phpcms", "vsb", "empire", "smallcms"),
}


def fixture_docs() -> dict[str, list[Doc]]:
    """tests/fixtures/reports/*.html (written by the fixtures helper), grouped by platform
    guessed from the file name.  Whole pages are served as they are."""
    out: dict[str, list[Doc]] = {k: [] for k in PLATFORM_HINTS}
    out["other"] = []
    if not FIXTURES.is_dir():
        return out
    for path in sorted(FIXTURES.glob("*.html")):
        raw = path.read_bytes()
        exp_path = path.with_name(path.stem + ".expected.json")
        exp = {}
        if exp_path.exists():
            try:
                exp = json.loads(exp_path.read_text("utf-8"))
            except ValueError:
                exp = {}
        if exp.get("kind") == "not_report":
            continue
        title = exp.get("title")
        if not title:
            m = re.search(rb"<title>(.*?)</title>", raw, re.S | re.I)
            title = m.group(1).decode("utf-8", "replace").strip() if m else path.stem
        date = (exp.get("publish_date") or "2024-01-20")[:10]
        doc = Doc(title=title, date=date, agency=exp.get("agency") or "", raw=raw,
                  source=f"tests/fixtures/reports/{path.name}", year=exp.get("report_year"))
        name = path.name.lower()
        platform = next((p for p, hints in PLATFORM_HINTS.items() if any(h in name for h in hints)), "other")
        out[platform].append(doc)
    return out


NON_REPORTS = [
    # titles modelled on the real columns (docs/119, 123, 124)
    ("《{agency}{year}年政府信息公开工作年度报告》解读", "interpretation"),
    ("（图解）{agency}{year}年政府信息公开工作年度报告", "infographic"),
    ("一图读懂{agency}{year}年政府信息公开工作年度报告", "infographic"),
    ("关于做好{year}年政府信息公开工作年度报告编制和发布工作的通知", "notice"),
]


def non_report(template: str, agency: str, year: int, date: str) -> Doc:
    title = template.format(agency=agency, year=year)
    return Doc(title=title, date=date, agency=agency, is_report=False,
               body_html=f"<p>{html.escape(title)}</p><p>（本页为示例门户中的非年报条目。）</p>")
