"""One document in, one checked record out: :func:`parse_document`.

The record's keys are the contract described in
``../shared/reference/report-template.md`` ("The parsed record"), plus:
``kind`` (report / not_report / unreadable), ``format``, ``encoding``,
``balance_ok``, ``raw_cells`` (each cell as printed, "" for blank),
``derived_cells`` ([table, row, column] of values the parser derived),
``attachments`` ({url, text} of linked files) and ``parser_version``.

Pure: no network, no Scrapy, no database. Any bytes give a record; what could not
be read is said in ``warnings``.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from . import metadata as md
from .checks import run_checks
from .decode import decode_bytes, sniff
from .document import Document, Line, from_html, from_text, looks_like_html, squash, text_of, tight
from .sections import Section, fill_text, find_sections
from .tables import detect_template, read_active_disclosure, read_applications, read_reviews

PARSER_VERSION = "1.0.0"
MAX_CHARS = 30_000_000   # larger documents are cut, with a warning
MAX_TAGS = 300_000       # an HTML page is cut after this many tags (a real report has ~20,000)
MAX_TEXT_CHARS = 1_000_000   # a text document (not HTML) is cut after this many characters

CONTENT_XPATH = (
    "//div[contains(concat(' ',normalize-space(@class),' '),' TRS_Editor ')]|//*[@id='zoom']"
    "|//*[@id='zoomcon']|//*[@id='UCAP-CONTENT']|//div[contains(@class,'ewb-article-detail')]"
    "|//div[contains(@class,'article-content')]|//div[contains(@class,'content_article')]"
    "|//div[contains(@class,'pages_content')]|//div[@id='content']|//div[contains(@class,'news_content')]"
    "|//div[contains(@class,'article_con')]|//div[contains(@class,'bt_content')]|//div[@class='zw']"
    "|//div[contains(@class,'xxgk_content')]|//article")
ATTACHMENT_RE = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|ofd|zip|rar|7z|txt|jpg|png)(?:$|[?#])", re.I)

_T2_MARK = re.compile(r"第二十条|信息内容|制发件数|新制作数量")
_T3_MARK = re.compile(r"申请人情况|新收政府信息公开申请|本年新收")
_T4_MARK = re.compile(r"行政复议")


def empty_record(url: str | None) -> dict:
    return {
        "url": url, "title": None, "agency": None, "report_year": None,
        "publish_date": None, "publish_datetime": None, "source": None, "clicks": None,
        "template": None, "kind": "unreadable", "sections": [],
        "active_disclosure": None, "applications": None, "reviews_litigation": None,
        "checks": [], "balance_ok": None, "warnings": [], "raw_cells": {}, "derived_cells": [],
        "attachments": [], "format": None, "encoding": None, "parser_version": PARSER_VERSION,
    }


def parse_document(data: bytes | str, url: str | None = None, encoding: str | None = None,
                   content_type: str | None = None) -> dict:
    """Parse a report page (HTML bytes/str) or its text into a record."""
    record = empty_record(url)
    warnings: list[str] = record["warnings"]
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        kind = sniff(data)
        if kind != "text":
            return _parse_binary(record, data, kind, url)
        text, record["encoding"], enc_warnings = decode_bytes(data, encoding, content_type)
        warnings.extend(enc_warnings)
    else:
        text = data
    if len(text) > MAX_CHARS:
        warnings.append(f"document cut at {MAX_CHARS} characters (it has {len(text)})")
        text = text[:MAX_CHARS]
    is_html = looks_like_html(text)
    record["format"] = "html" if is_html else "text"
    text = _within_budget(text, is_html, warnings)
    doc = from_html(text) if is_html else from_text(text)
    _fill(record, doc, url)
    return record


def _cut_after(text: str, char: str, n: int) -> int:
    """Index of the *n*-th *char* in *text* (linear, no copies)."""
    i = -1
    for _ in range(n):
        i = text.find(char, i + 1)
    return i


def _within_budget(text: str, is_html: bool, warnings: list[str]) -> str:
    """The input cut to what the parser may spend on one document (time and memory are
    proportional to tags for HTML, to characters for text)."""
    if is_html:
        tags = text.count("<")
        if tags > MAX_TAGS:
            warnings.append(f"tag limit: page cut after {MAX_TAGS} of its {tags} tags")
            return text[:_cut_after(text, "<", MAX_TAGS + 1)]
    elif len(text) > MAX_TEXT_CHARS:
        warnings.append(f"size limit: text cut at {MAX_TEXT_CHARS} of its {len(text)} characters")
        return text[:MAX_TEXT_CHARS]
    return text


def _parse_binary(record: dict, data: bytes, kind: str, url: str | None) -> dict:
    """PDF, DOCX, DOC/WPS and images: converted to a line stream by pipelines.formats."""
    record["format"] = kind
    try:
        from .formats import convert
    except ImportError:
        convert = None
    converted = convert(kind, data) if convert is not None else None
    if converted is None:
        record["warnings"].append(f"not HTML or text ({kind}): nothing parsed")
        return record
    record["format"] = converted.format
    record["warnings"].extend(converted.warnings)
    record.update(converted.extra)
    if converted.document is None:
        if converted.kind:
            record["kind"] = converted.kind
        return record
    _fill(record, converted.document, url)
    return record


def _fill(record: dict, doc: Document, url: str | None) -> None:
    warnings = record["warnings"]
    warnings.extend(getattr(doc, "warnings", None) or [])
    lines = doc.lines
    sections = find_sections(lines)
    start, end = _body_range(doc, sections)
    if sections and not (start <= sections[0].line < end):
        sections = find_sections(lines[start:end])
        for s in sections:
            s.line += start
    fill_text(sections, lines, end)
    head_end = sections[0].line if sections else end
    pre = "\n".join(line.text for line in lines[:head_end])
    post = "\n".join(line.text for line in lines[end:])

    # --- title, agency, year
    candidates = []
    if doc.meta.get("articletitle"):
        candidates.append(doc.meta["articletitle"])
    candidates.extend(_title_lines(lines[:head_end]))
    if doc.page_title:
        candidates.extend(md.split_page_title(doc.page_title))
    title = md.pick_title(candidates)
    if title and not doc.is_html:
        title = tight(title)
    record["title"] = title
    _furniture(record, doc, lines[:head_end], title, pre, post)

    agency = md.agency_from_title(title) if title else None
    if not agency:
        agency = _publisher(pre, doc.meta) or record["source"]
        if agency:
            warnings.append(f"agency not in the title; taken from the page's publisher/source: {agency}")
    record["agency"] = agency

    year = md.report_year_from_title(title) if title else None
    if year is None:
        year = md.report_year_from_text("\n".join(line.text for line in lines[start:start + 60])[:3000])
        if year is not None:
            warnings.append(f"report_year not in the title; read from the text as {year}")
        elif record["publish_date"]:
            year = int(record["publish_date"][:4]) - 1
            warnings.append(f"report_year guessed from the publish date as {year}")
    record["report_year"] = year

    # --- sections and tables
    record["sections"] = [s.as_dict() for s in sections]
    kind = title_says = md.classify(title)
    if kind != "not_report":
        _tables(record, lines, sections, start, end)
    has_tables = any(record[t] for t in ("active_disclosure", "applications", "reviews_litigation"))
    if not has_tables and len(sections) < 2 and _is_list_page(doc):
        kind = "not_report"
        if doc.page_title:
            record["title"] = md.clean_title(doc.page_title)
        record["report_year"] = record["agency"] = None
        warnings.append("a list of reports, not a report")
    if kind == "maybe_not_report" and not has_tables:
        kind = "not_report"
    elif kind in ("unknown", "maybe_not_report"):
        kind = "report" if (has_tables or len(sections) >= 3) else "not_report"
    record["kind"] = kind
    if kind == "not_report" and title_says == "maybe_not_report":
        record["report_year"] = None   # a notice or summary reports on no year
    if kind == "not_report":
        for t in ("active_disclosure", "applications", "reviews_litigation"):
            record[t] = None
        record["template"] = None
        record["raw_cells"], record["derived_cells"] = {}, []
    elif record["template"] is None and year is not None and year < 2019:
        record["template"] = "old"

    record["checks"] = run_checks(record) if kind == "report" else []
    bal = next((c for c in record["checks"] if c["name"] == "applications_balance"), None)
    record["balance_ok"] = None if bal is None or bal["status"] == "not_assessable" else bal["status"] == "pass"
    if doc.is_html:
        record["attachments"] = _attachments(doc, url)


def _tables(record: dict, lines: list[Line], sections: list[Section], start: int, end: int) -> None:
    by_no = {s.number: s.line for s in sections}

    def mark(no: int, rx: re.Pattern, after: int) -> int | None:
        if no in by_no and by_no[no] >= after:
            return by_no[no]
        for i in range(after, end):
            if rx.search(tight(lines[i].text)):
                return i
        return None

    t2 = mark(2, _T2_MARK, start)
    t3 = mark(3, _T3_MARK, t2 if t2 is not None else start)
    t4 = mark(4, _T4_MARK, t3 if t3 is not None else (t2 if t2 is not None else start))
    t_end = by_no.get(5, end)
    if t4 is not None and t_end <= t4:
        t_end = end

    def region(a, *bounds):
        if a is None:
            return []
        b = min([x for x in bounds if x is not None and x > a] + [end])
        return lines[a:b]

    r2, r3, r4 = region(t2, t3, t4, t_end), region(t3, t4, t_end), region(t4, t_end)
    template, guessed = detect_template(r2 or r3, record["report_year"])
    warnings = record["warnings"]
    tables = {}
    if r2 and template and _T2_MARK.search("".join(tight(x.text) for x in r2[:12])):
        tables["active_disclosure"] = read_active_disclosure(r2, template)
    if r3 and _T3_MARK.search("".join(tight(x.text) for x in r3)):
        tables["applications"] = read_applications(r3)
    if r4 and re.search(r"维持|纠正|审结", "".join(tight(x.text) for x in r4)):
        tables["reviews_litigation"] = read_reviews(r4)
    for name, table in tables.items():
        if table is None:
            continue
        warnings.extend(table.warnings)
        if table.values:
            record[name] = table.values
            record["raw_cells"][name] = table.raw
            record["derived_cells"].extend(table.derived)
    if any(record[t] for t in ("active_disclosure", "applications", "reviews_litigation")):
        if template is None:
            template, guessed = "2021", True
        if guessed:
            warnings.append(f"template {template} guessed from the report year")
        record["template"] = template


def _furniture(record: dict, doc: Document, head: list[Line], title: str | None, pre: str, post: str) -> None:
    """Publish date, source and clicks from the page furniture, never the body.

    The metadata block right under the visible title wins: on a page wrapped by
    a third-party site, the wrapper's own date, source and view count sit higher up.
    """
    window = None
    if title:
        key = tight(title)
        idx = [i for i, line in enumerate(head) if key and key in tight(line.text)]
        if idx:
            window = "\n".join(line.text for line in head[idx[-1] + 1:])
    d = dt = None
    if window:
        d, dt, _ = md.find_publish_date(window, {})
    if d is not None:
        scope = window
    else:
        scope = pre
        d, dt, _ = md.find_publish_date(pre, doc.meta)
        if d is None and post:
            d, dt, _ = md.find_publish_date(post, {})
    record["publish_date"] = d.isoformat() if d else None
    record["publish_datetime"] = md.iso_datetime(dt)
    record["source"] = md.find_source(scope, doc.meta) or (md.find_source(post, {}) if post else None)
    record["clicks"] = md.find_clicks(scope)
    if record["clicks"] is None and post:
        record["clicks"] = md.find_clicks(post)


def _title_lines(lines: list[Line]) -> list[str]:
    """Lines that read like a report title; a title split over two lines is joined."""
    out = []
    prev = ""
    for line in lines[:40]:
        t = md.clean_title(line.printed or line.text)
        if md.is_report_title(t) and len(t) <= 80:
            if re.match(r"^[(（]?\s*(?:19|20)\d\d\s*年", t) and prev and len(prev) <= 30 \
                    and not re.search(r"[，。：:；|\d]", prev):
                out.append(prev + t)
            out.append(t)
        prev = t
    return out


def _is_list_page(doc: Document) -> bool:
    """A column page: several links whose text reads like a report title."""
    if doc.root is None:
        return False
    n = 0
    for a in doc.root.iter("a"):
        if a.get("href") and md.is_report_title(text_of(a)):
            n += 1
            if n >= 3:
                return True
    return False


def _publisher(furniture: str, meta: dict) -> str | None:
    m = re.search(r"(?:发布机构|发文机关|发布单位|公开主体)\s*[:：]\s*([^\s|｜]{2,40})", furniture)
    if m:
        return m.group(1)
    return None


def _body_range(doc: Document, sections: list[Section]) -> tuple[int, int]:
    """The report body among the page furniture, as a range of lines.

    The nearest element holding the first and last section headings; without
    headings, the content container a platform uses (TRS_Editor, #zoom…). Then
    furniture trailing the body (share buttons, 主办单位, ICP…) is cut off.
    """
    lines = doc.lines
    if not doc.is_html or not lines:
        return 0, _trim_footer(lines, sections, len(lines))
    container = None
    if sections:
        first = lines[sections[0].line].element
        last = lines[sections[-1].line].element
        if first is not None and last is not None:
            container = _common_ancestor(first, last)
            if container is not None and len(sections) == 1:
                container = container.getparent()
    elif doc.root is not None:
        known = doc.root.xpath(CONTENT_XPATH)
        if known:
            container = max(known, key=lambda el: len(text_of(el)))
    if container is None:
        return 0, _trim_footer(lines, sections, len(lines))
    first_in = next((i for i, line in enumerate(lines) if _within(line.element, container)), None)
    if first_in is None:
        return 0, _trim_footer(lines, sections, len(lines))
    last_in = next(i for i in range(len(lines) - 1, -1, -1) if _within(lines[i].element, container))
    return first_in, _trim_footer(lines, sections, last_in + 1)


_FOOTER = re.compile(r"^(?:主办单位|主办：|承办单位|网站标识码|版权所有|Copyright|©|联系我们|网站地图|"
                     r"分享到?[:：]?$|【?打印|【?关闭|返回顶部|扫一扫|相关链接|相关文章|上一篇|下一篇|"
                     r"[\u4e00-\u9fff]{0,8}ICP备|(?:[\u4e00-\u9fff]{1,2})公网安备|责任编辑|【字体|字体[:：]|字号[:：])",
                     re.I)


def _trim_footer(lines: list[Line], sections: list[Section], end: int) -> int:
    """Cut the body at the first furniture line after the last heading."""
    begin = sections[-1].line + 1 if sections else 0
    for i in range(begin, end):
        if _FOOTER.match(lines[i].text.strip()):
            return i
    return end


def _common_ancestor(a, b):
    chain = [a, *a.iterancestors()]   # kept alive: lxml proxies (and their ids) are transient
    ancestors = {id(x) for x in chain}
    node = b
    while node is not None and id(node) not in ancestors:
        node = node.getparent()
    return node


def _within(el, container) -> bool:
    if el is None:
        return False
    if el is container:
        return True
    for anc in el.iterancestors():
        if anc is container:
            return True
    return False


def _attachments(doc: Document, url: str | None) -> list[dict]:
    out, seen = [], set()
    if doc.root is None:
        return out
    for a in doc.root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or not ATTACHMENT_RE.search(href):
            continue
        full = urljoin(url, href) if url else href
        if full in seen:
            continue
        seen.add(full)
        out.append({"url": full, "text": squash(text_of(a))})
    return out
