"""One document in, one checked record out: :func:`parse_document`.

The record's keys are the contract described in
``tests/fixtures/public/reference/report-template.md`` ("The parsed record"), plus:
``kind`` (report / not_report / unreadable), ``format``, ``encoding``,
``balance_ok``, ``raw_cells`` (each cell as printed, "" for blank),
``derived_cells`` ([table, row, column] of values the parser derived),
``attachments`` ({url, text} of linked files), ``parser_version``, ``list_title`` /
``list_date`` (the list entry that linked the document, when given: evidence, kept as
given) and ``old_statistics`` / ``old_statistics_units`` (the pre-2019 statistics table,
:mod:`pipelines.oldstats`).

Pure: no network, no Scrapy, no database. Any bytes give a record; what could not
be read is said in ``warnings``.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from . import metadata as md
from .checks import run_checks
from .decode import decode_bytes, sniff
from .oldstats import read_old_statistics
from .document import Document, Line, from_html, from_text, looks_like_html, squash, text_of, tight
from .sections import Section, fill_text, find_sections
from . import runtogether
from .tables import Table, detect_template, read_active_disclosure, read_applications, read_reviews

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
        "list_title": None, "list_date": None, "old_statistics": None, "old_statistics_units": None,
    }


def parse_document(data: bytes | str, url: str | None = None, encoding: str | None = None,
                   content_type: str | None = None, list_title: str | None = None,
                   list_date: str | None = None) -> dict:
    """Parse a report page (HTML bytes/str) or its text into a record.

    ``list_title`` / ``list_date``: the entry of the list page that linked the
    document, when the crawler knows it. Both are kept in the record; the page's
    own metadata wins, and a disagreement is a warning (a missing title or date is
    taken from the list entry, with a warning too).
    """
    record = empty_record(url)
    record["list_title"] = md.clean_title(list_title) if list_title and list_title.strip() else None
    record["list_date"] = _iso(list_date)
    warnings: list[str] = record["warnings"]
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        kind = sniff(data)
        if kind != "text":
            _parse_binary(record, data, kind, url)
            _list_evidence(record)
            return record
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
    _list_evidence(record)
    return record


def _iso(value: str | None) -> str | None:
    """A list entry's date as ISO (2024-01-20), or as given when it is no date."""
    if not value or not str(value).strip():
        return None
    got = md.parse_date(str(value))
    return got[0].isoformat() if got else str(value).strip()


def _same_title(a: str, b: str) -> bool:
    """Two spellings of one title: equal once spaces and punctuation go, or one the
    other's start (list pages cut long titles with …)."""
    def key(t):
        return re.sub(r"[\s\W_]+", "", md.arabic_years(md.fold(t)))
    x, y = key(a), key(b.rstrip(".…。 ")) if b else ""
    if not x or not y:
        return x == y
    # list pages cut long titles, with … or without (then at least 12 characters are kept)
    cut = b.rstrip().endswith(("…", "...", "..")) or len(y) >= 12
    return x == y or (cut and x.startswith(y))


def _list_evidence(record: dict) -> None:
    """The list entry's title and date against the document's own (the document wins)."""
    warnings = record["warnings"]
    lt, ld = record.get("list_title"), record.get("list_date")
    if lt:
        if not record.get("title"):
            record["title"] = lt
            warnings.append(f"title taken from the list entry: {lt}")
        elif not _same_title(record["title"], lt):
            warnings.append(f"list entry's title differs from the document's: {lt!r} vs {record['title']!r}")
    if ld and re.fullmatch(r"\d{4}-\d{2}-\d{2}", ld):
        if not record.get("publish_date"):
            record["publish_date"] = ld
            warnings.append(f"publish_date taken from the list entry: {ld}")
        elif record["publish_date"] != ld:
            warnings.append(f"list entry's date differs from the document's: {ld} vs {record['publish_date']}")


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
    if sections and sections[0].offset:
        # the first heading inside a line (a whole report on one line): what precedes it on
        # that line is the page's head (title, date, source)
        pre = "\n".join(filter(None, (pre, lines[head_end].text[:sections[0].offset])))
        head_end += 1
    post = "\n".join(line.text for line in lines[end:])

    # --- title, agency, year: the publisher's CMS field, then the title as printed in the
    # body, then the page's <title>s (a collector's copy: the original page's first)
    head_rows = [[c.text for c in line.cells if c.origin] for line in lines[:head_end] if line.table is not None]
    header = md.header_fields(head_rows) if head_rows else {}
    candidates = []
    if doc.meta.get("articletitle"):
        candidates.append(doc.meta["articletitle"])
    candidates.extend(_title_lines(lines[:head_end]))
    for label in ("标题", "名称", "文件名称"):
        if header.get(label):
            candidates.append(header[label])
    for t in doc.page_titles or ([doc.page_title] if doc.page_title else []):
        candidates.extend(md.split_page_title(md.clean_title(t)))
    title = md.pick_title(candidates)
    if title and not doc.is_html:
        title = tight(title)
    if not title and record.get("list_title"):
        title = record["list_title"]
        warnings.append(f"title taken from the list entry: {title}")
    record["title"] = title
    _furniture(record, doc, lines[:head_end], title, pre, post, header)

    agency = md.agency_from_title(title) if title else None
    if not agency:
        agency = _publisher(pre, header) or record["source"]
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
        if not any(record[t] for t in ("active_disclosure", "applications", "reviews_litigation")):
            _old_statistics(record, lines[start:end])
    has_tables = any(record[t] for t in ("active_disclosure", "applications", "reviews_litigation",
                                         "old_statistics"))
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
        for t in ("active_disclosure", "applications", "reviews_litigation", "old_statistics",
                  "old_statistics_units"):
            record[t] = None
        record["template"] = None
        record["raw_cells"], record["derived_cells"] = {}, []
    elif record["template"] is None and (year is not None and year < 2019 or record["old_statistics"]):
        record["template"] = "old"

    record["checks"] = run_checks(record) if kind == "report" else []
    read = next((c for c in record["checks"] if c["name"] == "tables_read"), None)
    if read is not None and read["status"] == "warn":
        warnings.append(f"standard tables incomplete — {read['detail']}")
    bal = next((c for c in record["checks"] if c["name"] == "applications_balance"), None)
    record["balance_ok"] = None if bal is None or bal["status"] == "not_assessable" else bal["status"] == "pass"
    if doc.is_html:
        record["attachments"] = _attachments(doc, url)


_T4_COLUMNS = re.compile(r"维持|纠正|审结")


def _tables(record: dict, lines: list[Line], sections: list[Section], start: int, end: int) -> None:
    """Each table found by its own content (header and row labels), wherever it sits.

    A section that means the table's section (whatever its printed number) only says
    where to start looking; the table begins at the first line with its own marks.
    """
    by_meaning = {s.template: s.line for s in sections if s.template is not None}
    tight_lines: dict[int, str] = {}

    def tl(i: int) -> str:
        if i not in tight_lines:
            tight_lines[i] = tight(lines[i].text)
        return tight_lines[i]

    def is_t4(i: int) -> bool:
        if not _T4_MARK.search(tl(i)):
            return False
        return any(_T4_COLUMNS.search(tl(j)) for j in range(i, min(i + 16, end)))

    def find(test, after: int, stop: int = end) -> int | None:
        for i in range(after, stop):
            if test(i):
                return i
        return None

    def mark(meaning: int, test, after: int) -> int | None:
        heading = by_meaning.get(meaning)
        if heading is not None and heading >= after:
            hit = find(test, heading)
            # the heading starts the region when the table follows it
            if hit is not None and hit - heading <= 40:
                return heading
            if hit is not None:
                return hit
            return find(test, after, heading)   # nothing from the heading on: only the lines before it
        return find(test, after)

    t2 = mark(2, lambda i: bool(_T2_MARK.search(tl(i))), start)
    t3 = mark(3, lambda i: bool(_T3_MARK.search(tl(i))), t2 if t2 is not None else start)
    t4 = mark(4, is_t4, t3 if t3 is not None else (t2 if t2 is not None else start))
    t_end = by_meaning.get(5, end)
    if t_end <= max(x for x in (t2, t3, t4, start) if x is not None):
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
        tables["active_disclosure"] = _or_run_together(
            read_active_disclosure(r2, template), r2, "active",
            lambda text: runtogether.read_active_run(text, template))
    if r3 and _T3_MARK.search("".join(tight(x.text) for x in r3)):
        tables["applications"] = _or_run_together(read_applications(r3), r3, "applications",
                                                  runtogether.read_applications_run)
    if r4 and _T4_COLUMNS.search("".join(tight(x.text) for x in r4)):
        tables["reviews_litigation"] = _or_run_together(read_reviews(r4), r4, "reviews",
                                                        runtogether.read_reviews_run)
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


def _old_statistics(record: dict, lines: list[Line]) -> None:
    """The pre-2019 statistics table (指标名称 / 计量单位 / 本年度 / 历年累计), when there is one."""
    stats = read_old_statistics(lines)
    if stats is None:
        return
    record["warnings"].extend(stats.warnings)
    if stats.values:
        record["old_statistics"] = stats.values
        record["old_statistics_units"] = stats.units
        record["raw_cells"]["old_statistics"] = stats.raw
    else:
        record["warnings"].append("old_statistics: the statistics table has no number in it")


def _complete(table: Table | None) -> bool:
    return table is not None and bool(table.values) and not any("left out" in w for w in table.warnings)


def _or_run_together(table: Table | None, region: list[Line], kind: str, reader) -> Table | None:
    """The table read again from its text as a run of labels and digits, when its cells
    arrived run together and the line reader could not read it whole."""
    if _complete(table):
        return table
    text = "\n".join(line.text for line in region)
    if not runtogether.looks_run_together(text, kind):
        return table
    got = reader(text)
    if got is None:
        return table
    values, raw, warnings = got
    if table is not None and len(table.values) > len(values):
        return table
    return Table(values=values, raw=raw, warnings=warnings)


def _furniture(record: dict, doc: Document, head: list[Line], title: str | None, pre: str, post: str,
               header: dict[str, str]) -> None:
    """Publish date, source and clicks from the page furniture, never the body.

    The publisher's own fields win, in order: the CMS fields (``<publishtime>``,
    ``<meta name="PubDate">``, ``ContentSource``), the header table (发布机构 /
    公开日期 / 成文日期), the metadata line right under the visible title (on a page
    wrapped by a third-party site, the wrapper's own date, source and view count sit
    higher up), the rest of the furniture. Dates labelled 采集/抓取/生成/更新时间 and
    the render date are never taken. A finer time of the same moment from a later
    source is kept (PubDate gives minutes, the metadata line seconds).
    """
    window = None
    if title:
        key = tight(title)
        idx = [i for i, line in enumerate(head) if key and key in tight(line.text)]
        if idx:
            window = "\n".join(line.text for line in head[idx[-1] + 1:])
    line_date = md.labelled_date(window) if window else None
    scope = window if line_date else pre
    if line_date is None:
        line_date = md.labelled_date(pre)
    ordered = [md.cms_date(doc.meta), md.header_date(header), line_date,
               md.header_date(header, ("成文日期", "生成日期")), md.cms_date(doc.meta, md.LATE_DATE_FIELDS)]
    others = md.other_dates(pre)
    found = [g for g in ordered if g and g[0] not in others]
    if not found:
        d, dt, _ = md.find_publish_date(pre, {})
        if d is None and post:
            d, dt, _ = md.find_publish_date(post, {})
        found = [(d, dt, None)] if d else []
    d = dt = None
    if found:
        d, dt, how = found[0]
        for other in found[1:]:
            od, odt, ohow = other
            if od != d:
                if _says_published(how) and _says_published(ohow):
                    record["warnings"].append(f"publish date: {how} says {d}, {ohow} {od}; {how} kept")
                continue
            if odt is not None and (dt is None or (odt.replace(second=0) == dt.replace(second=0) and dt.second == 0)):
                dt = odt
    record["publish_date"] = d.isoformat() if d else None
    record["publish_datetime"] = md.iso_datetime(dt)
    source = doc.meta.get("contentsource")
    if not md.is_source_name(source):
        source = next((header[k] for k in ("发布机构", "发文机关", "发布单位", "信息来源", "来源")
                       if md.is_source_name(header.get(k))), None)
    record["source"] = (source.strip() if source else None) or md.find_source(scope, {}) \
        or (md.find_source(post, {}) if post else None)
    record["clicks"] = md.find_clicks(scope)
    if record["clicks"] is None and post:
        record["clicks"] = md.find_clicks(post)


def _says_published(how: str | None) -> bool:
    """A date source that claims to be the publish date (not 成文日期, not a build time)."""
    if not how:
        return False
    if how.startswith("meta "):
        return how[5:] in md.CMS_DATE_FIELDS
    return how.replace("header ", "") in ("发布时间", "发布日期", "公开日期", "发表时间")


_TITLE_END = re.compile(r"(?:报告|年报)[)）]?$")
_NOT_TITLE_PIECE = re.compile(r"[，。：:；;|｜>›»!！?？]|首页|当前位置|您的位置|来源|发布|日期|时间|浏览|点击|字号|打印|关闭|"
                              r"^附件|^附表|^索引号|^文号")


_TITLE_OPENING = re.compile(r"^\s*(?:标题[:：]\s*)?(\S[^，。；：:]{3,70}?(?:报告|年报)(?:[(（][^)）]{1,12}[)）])?)"
                            r"(?=\s|本(?:年度)?报告|根据|按照|依据|依照|一、|[(（]一[)）]|发布|来源|日期|时间|$)")


def _title_piece(t: str) -> bool:
    """A line that can be the start or middle of a title printed over several lines."""
    if not t or len(t) > 30 or _NOT_TITLE_PIECE.search(t) or _TITLE_END.search(tight(t)):
        return False
    return not re.search(r"\d", re.sub(r"(?:19|20)\d\d\s*年度?", "", t))


def _same_block(a: Line, b: Line) -> bool:
    """HTML: two lines of one heading (split by <br>) or sibling paragraphs — not a menu item
    above the title. Text: any two lines."""
    ea, eb = a.element, b.element
    if ea is None or eb is None:
        return ea is None and eb is None
    return ea is eb or ea.getparent() is eb.getparent() or ea is eb.getparent() or eb is ea.getparent()


def _title_lines(lines: list[Line]) -> list[str]:
    """Lines that read like a report title; a title printed over two or three lines
    (a PDF's centred title, a heading broken by <br>) is joined, the longest join first."""
    out = []
    texts: list[str] = []
    for line in lines[:40]:
        if line.table is not None and len({c.text for c in line.cells if c.text}) > 1:
            texts.append("")
            continue   # a row of a header table (索引号 … 年报): its 标题/名称 cell is read as a field
        raw = line.printed or line.text
        # only a line with report words can end a title; the others are read as pieces
        texts.append(md.clean_title(raw) if ("报告" in raw or "年报" in raw) else raw.strip())
    for i, t in enumerate(texts):
        if i < 3 and (len(t) > 80 or "。" in t):
            # a text dump with the whole body on one line: the title is its opening words
            m = _TITLE_OPENING.match(t)
            if m and md.is_report_title(m.group(1)):
                out.append(m.group(1))
            continue
        if not (md.is_report_title(t) and len(t) <= 80):
            continue
        if _TITLE_END.search(tight(t)):
            k = i
            while k > 0 and i - k < 2 and _title_piece(texts[k - 1]) and _same_block(lines[k - 1], lines[i]):
                k -= 1
            for start in range(k, i):
                joined = "".join(texts[start:i + 1]) if not any(
                    re.search(r"[A-Za-z0-9]$", x) for x in texts[start:i]) else " ".join(texts[start:i + 1])
                if len(joined) <= 80:
                    out.append(joined)
        out.append(t)
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


def _publisher(furniture: str, header: dict) -> str | None:
    for k in ("发布机构", "发文机关", "发布单位", "公开主体"):
        if md.is_source_name(header.get(k)):
            return header[k].strip()
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
