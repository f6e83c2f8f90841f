"""A report as a stream of lines, whatever it came as.

HTML pages, flattened text (one cell per line) and PDF layout text are all turned
into the same shape: a list of :class:`Line`, each a list of cells. A paragraph is a
line with one cell; a table row is a line with one cell per grid column (rowspan
and colspan expanded); a line of text is split on spaces, keeping each
piece's column so short rows of layout text can be realigned. Everything downstream
(sections, tables, metadata) reads this stream, so it is written once here.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import lxml.etree as etree

MAX_SPAN = 64          # a colspan/rowspan larger than this is treated as 1 (bombs)
MAX_GRID_CELLS = 20000  # a data table larger than this is read as plain text
MAX_DOC_CELLS = 50_000   # grid cells of all data tables of one page, counted after span expansion;
                         # tables past it are read as plain text (a page of span bombs)
MAX_DEPTH = 2000         # markup nested deeper (libxml2 drops everything past 2,048) is flattened
HTML_TIME_BUDGET = 10.0  # seconds for walking one page's tree; the rest is cut with a warning

BLOCK_TAGS = frozenset(
    "address article aside blockquote br center dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary "
    "table tbody thead tfoot tr td th ul caption".split()
)
DROP_TAGS = ("script", "style", "noscript", "template", "select", "option", "button", "textarea",
             "iframe", "object", "embed", "svg", "head", "title", "input")

# CMS fields some platforms print as elements of their own (read like <meta> fields)
CMS_FIELDS = ("publishtime", "pubtime", "publishdate", "articletitle", "contentsource")

_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"\S+")
_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")
# Page footers alone on a line: "-4-", "- 5-", "— 3 —", "第4页", "第 4 页 共 6 页", "共6页 第4页",
# "3/6", "— 3/6 —", "Page 3 of 6"; a lone "-2" is a value (本年增/减), a lone "3" is ambiguous (kept)
PAGE_FOOTER = re.compile(
    r"^\s*(?:[-－—–]+\s*\d{1,3}\s*(?:/\s*\d{1,3}\s*)?[-－—–]+"
    r"|[-－—–]*\s*第\s*\d{1,3}\s*页(?:\s*[/，,、]?\s*共\s*\d{1,3}\s*页)?\s*[-－—–]*"
    r"|共\s*\d{1,3}\s*页\s*[/，,、]?\s*第\s*\d{1,3}\s*页"
    r"|\d{1,3}\s*/\s*\d{1,3}|(?i:page)\s*\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?)\s*$"
)
# a markdown table row ("| a | b |") and its header separator ("|---|:--:|")
_MD_ROW = re.compile(r"^\s*\|.*\|\s*$")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
# a header row a PDF-to-markdown tool invented ("| Column1 | Column2 |", "| 1 | 2 | 3 |")
_MD_FAKE_HEADER = re.compile(r"^(?:(?:col(?:umn)?|列|unnamed:?)\s*_?\d{1,2})?$", re.I)
_MD_BR = re.compile(r"<br\s*/?>", re.I)
# markdown furniture around text: "## 一、总体情况", "**（一）…**", "> "
_MD_HEADING = re.compile(r"^\s*(?:#{1,6}\s+|>\s+)")
# a cell that is a number or a blank mark, nothing else
_NUMERIC = re.compile(r"^(?:[-+]?[\d０-９][\d０-９,，.]*%?|[/／—–-]{1,2}|无)$")


@dataclass(slots=True)
class Cell:
    text: str            # whitespace-collapsed text as printed
    col: int = 0         # grid column (HTML) or character column (layout text)
    origin: bool = True  # False for the copies a rowspan/colspan makes


class Line:
    """One paragraph, table row or text line: its cells, and where it came from."""

    __slots__ = ("cells", "table", "element", "printed", "_text")

    def __init__(self, cells: list[Cell], table: int | None = None, element: object = None):
        self.cells = cells
        self.table = table        # index of the HTML table the row belongs to
        self.element = element    # the lxml element the line came from (HTML only)
        self.printed = None       # HTML paragraphs: the text with its spaces as printed
        self._text = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = " ".join(c.text for c in self.cells if c.origin and c.text)
        return self._text

    def __repr__(self) -> str:
        return f"Line({self.text!r}, table={self.table})"


class TextLine(Line):
    """A line of text input; ``gap``: an empty line came before it. Extractors such as
    ``pdftotext`` print each text block of a page apart, so the empty lines say which
    cells were printed as one block (a column of a table's rows, read top to bottom)."""

    __slots__ = ("gap",)

    def __init__(self, cells: list[Cell], gap: bool = False):
        Line.__init__(self, cells)
        self.gap = gap


@dataclass(slots=True)
class Document:
    lines: list[Line]
    is_html: bool
    root: object = None                 # lxml root (HTML only)
    meta: dict[str, str] = field(default_factory=dict)   # <meta name=… content=…>
    page_title: str | None = None       # <title>
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, text) in the body
    blank_cells: bool = False           # whether a NBSP-only line was kept as a blank cell
    page_titles: list[str] = field(default_factory=list)  # every <title>, the innermost page's first
    nested: bool = False                # a page saved inside another page (a collector's copy)
    warnings: list[str] = field(default_factory=list)   # limits the reading ran into


class Budget:
    """What one page may cost: grid cells after span expansion, and wall time."""

    __slots__ = ("cells", "deadline", "warnings")

    def __init__(self, cells: int | None = None, seconds: float | None = None):
        self.cells = MAX_DOC_CELLS if cells is None else cells
        self.deadline = time.monotonic() + (HTML_TIME_BUDGET if seconds is None else seconds)
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


def squash(text: str) -> str:
    """Collapse whitespace; drop the spaces layout puts between CJK characters."""
    text = _WS.sub(" ", text).strip()
    return _CJK_GAP.sub("", text) if " " in text else text


def tight(text: str) -> str:
    """All whitespace removed: the form labels are matched in."""
    return _WS.sub("", text.replace("\u3000", "").replace("\xa0", ""))


# ---------------------------------------------------------------------------- text

def from_text(text: str) -> Document:
    """Flattened or layout text: a line per input line, a cell per space-separated piece.

    A line holding only non-breaking or ideographic spaces is a blank table cell in
    flattened text (the seed has one); a truly empty line only separates cells.
    Page footers are dropped; markdown table rows become grid rows (one cell per
    ``|`` column, separator rows dropped, like an HTML table); labels that a PDF
    extraction printed apart from their numbers are put back beside them
    (:func:`reattach_labels`).
    """
    lines: list[Line] = []
    blank_cells = False
    md_table = None      # index of the markdown table being read
    n_tables = 0
    gap = False          # an empty line since the last line kept
    for raw in text.splitlines():
        if not raw.strip():
            if raw and ("\xa0" in raw or "\u3000" in raw):
                lines.append(TextLine([Cell("", 0)], gap))
                blank_cells = True
                gap = False
                continue
            gap = True
            continue
        if PAGE_FOOTER.match(raw):
            gap = True       # a page break ends a block too
            continue
        if "|" in raw and _MD_ROW.match(raw):
            if _MD_RULE.match(raw):
                continue
            if md_table is None:
                md_table, n_tables = n_tables, n_tables + 1
            cells = [squash(_MD_BR.sub(" ", c).replace("\xa0", " ").replace("\u3000", " ").replace("**", ""))
                     for c in raw.strip()[1:-1].split("|")]
            if all(_MD_FAKE_HEADER.match(c) for c in cells) or _counting(cells):
                continue
            lines.append(Line([Cell(c, i) for i, c in enumerate(cells)], table=md_table))
            continue
        md_table = None
        if raw.lstrip()[:1] in ("#", ">") and _MD_HEADING.match(raw):
            raw = _MD_HEADING.sub("", raw)
        if "**" in raw:
            raw = raw.replace("**", "")
        flat = raw.replace("\xa0", " ").replace("\u3000", " ")
        lines.append(TextLine([Cell(m.group(0), m.start()) for m in _TOKEN.finditer(flat)], gap))
        gap = False
    return Document(lines=reattach_labels(lines), is_html=False, blank_cells=blank_cells)


def _counting(cells: list[str]) -> bool:
    """A header row that only numbers the columns: | 0 | 1 | 2 | … or | 1 | 2 | 3 | …"""
    if len(cells) < 3 or not all(c.isdigit() for c in cells):
        return False
    first = int(cells[0])
    return first in (0, 1) and [int(c) for c in cells] == list(range(first, first + len(cells)))


_COLUMN_HEAD = re.compile(r"数量|件数|金额|情况|内容|名称|单位|总计|合计|自然人|法人|本年|上一?年|增/?减|累计|指标")


def _is_label_line(line: Line) -> bool:
    """A short line of words with no number cell: a row label printed on its own (not a
    table's column header: two or more cells naming columns)."""
    cells = line.cells
    if line.table is not None or not cells:
        return False
    text = "".join(c.text for c in cells) if len(cells) > 1 else cells[0].text
    if len(text) > 60 or any(_NUMERIC.match(c.text) for c in cells) or re.search(r"[。；;]$", text) \
            or re.search(r"[\u4e00-\u9fff]", text) is None:
        return False
    return len(cells) < 2 or sum(1 for c in cells if _COLUMN_HEAD.search(c.text)) < 2


def _is_number_line(line: Line) -> bool:
    if line.table is not None or not line.cells:
        return False
    for c in line.cells:
        if not _NUMERIC.match(c.text):
            return False
    return True


# the value-column headings of the template's small tables (本年处理决定数量, 本年收费金额（单位：万元）…)
_VALUE_HEAD = re.compile(r"^(?:本年(?:制发|废止|处理|收费|新增)|现行有效|上一?年|处理决定数量|采购总金额|本年增/?减)")


def _label_after_numbers(lines: list[Line]) -> list[Line]:
    """Flattened text (one cell a line) where a row's numbers were printed before its label:
    ``本年处理决定数量 / 550 / 行政许可 / 第二十条第（六）项`` — a value-column heading, a run
    of numbers, one label that no number follows: the label is moved before its numbers."""
    n = len(lines)
    out = None
    i = 1
    while i < n:
        line = lines[i]
        # cheapest tests first: a one-cell line after a number, before no number
        if not (_single(line) and _single(lines[i - 1]) and _is_number_line(lines[i - 1])
                and (i + 1 >= n or not _is_number_line(lines[i + 1])) and _is_label_line(line)):
            i += 1
            continue
        text = line.cells[0].text
        if len(text) > 30 or re.search(r"[。，；：:]", text) or re.match(r"^[一二三四五六七八九十]{1,3}、", text) \
                or _VALUE_HEAD.match(text):
            i += 1
            continue
        j = i
        while j > 0 and i - j < 8 and _single(lines[j - 1]) and _is_number_line(lines[j - 1]):
            j -= 1
        if j == i or j == 0 or not (_single(lines[j - 1]) and _VALUE_HEAD.match(lines[j - 1].cells[0].text)):
            i += 1
            continue
        if out is None:
            out = list(lines)
        out[j:i + 1] = [out[i]] + out[j:i]
        i += 1
    return lines if out is None else out


def _single(line: Line) -> bool:
    return line.table is None and len(line.cells) == 1 and line.cells[0].col == 0


def reattach_labels(lines: list[Line]) -> list[Line]:
    """Row labels and their numbers put back on one line, by position.

    PDF extractions of a table often print a column of labels, then the numbers of
    those rows, one row per line: a run of n ≥ 2 number lines (each with the same
    number of cells) directly after a run of at least n label lines is read as n rows
    ``label n n …``, the last n labels with the n number lines in order (the lines
    above them are the table's headings). More number lines than labels are left as
    they are — never guessed. A number keeps its column when it has one.
    """
    lines = _label_after_numbers(lines)
    n = len(lines)
    out: list[Line] = []
    done = 0          # lines[:done] are in out
    m = 0
    while m < n:
        # a run of number lines (cheap to test: the first cell of a text line is a word)
        if not _is_number_line(lines[m]):
            m += 1
            continue
        j = m
        while m < n and _is_number_line(lines[m]):
            m += 1
        rows = m - j
        if rows < 2 or len({len(lines[x].cells) for x in range(j, m)}) != 1:
            continue
        i = j
        while i > done and j - i < rows and _is_label_line(lines[i - 1]):
            i -= 1
        if j - i != rows:
            continue      # fewer labels than number lines: not ours
        # laid out: the numbers stand to the right of where the labels start (in flattened
        # text, one cell a line, everything starts at column 0 and nothing is re-attached)
        if min(lines[x].cells[0].col for x in range(j, m)) <= max(lines[x].cells[0].col for x in range(i, j)) + 2:
            continue
        out.extend(lines[done:i])
        for a, b in zip(lines[i:j], lines[j:m]):
            label = squash(" ".join(c.text for c in a.cells))
            base = max(len(label) * 2, a.cells[-1].col + len(a.cells[-1].text)) + 2
            cells = [Cell(label, a.cells[0].col)]
            cells += [Cell(c.text, max(c.col, base + 8 * x)) for x, c in enumerate(b.cells)]
            out.append(Line(cells))
        done = m
    if not done:
        return lines
    out.extend(lines[done:])
    return out


# ---------------------------------------------------------------------------- HTML

# plain lxml elements (no HtmlElement class lookup): the walk below is the hot path
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)


def text_of(el) -> str:
    return "".join(el.itertext())


# start and end tags of everything but tables, links and the page's head: what a flattened
# page keeps ([^<>]* stops at the next "<", so the scan is linear)
_NESTING_TAG = re.compile(
    r"</?(?!(?:table|tbody|thead|tfoot|tr|td|th|a|br|html|head|body|meta|title|script|style)\b)[A-Za-z][^<>]*>")


def _too_deep() -> bool:
    return any(e.type_name == "ERR_RESOURCE_LIMIT" for e in _PARSER.error_log)


def parse_html(text: str, warnings: list[str] | None = None) -> object:
    """lxml root for any markup, however broken; None when there is nothing to parse.

    libxml2 drops everything nested deeper than 2,048 elements without a word; such a
    page is parsed again flattened (every tag but tables and links turned into a line
    break) and the flattening is named in *warnings*.
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        root = etree.fromstring(text, _PARSER)
        if _too_deep():
            flat = _NESTING_TAG.sub("<br>", text)
            root = etree.fromstring(flat, _PARSER)
            if warnings is not None:
                warnings.append(f"nesting limit: markup nested deeper than {MAX_DEPTH} elements was flattened")
                if _too_deep():
                    warnings.append(f"nesting limit: tables nested deeper than {MAX_DEPTH} levels; "
                                    "what lies deeper was dropped")
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root


def from_html(text: str, budget: Budget | None = None) -> Document:
    budget = budget or Budget()
    root = parse_html(text, budget.warnings)
    if root is None:
        return Document(lines=[], is_html=True, warnings=budget.warnings)
    body = root.find("body")
    # A page saved inside another (a collector's copy: its own header, then the original
    # page with a second <title> and its own <meta>s, which the parser leaves in <body>):
    # the innermost page's title comes first and only its meta fields count.
    titles, metas, fields = [], [], []
    for el in root.iter("title", "meta", *CMS_FIELDS):
        (titles if el.tag == "title" else metas if el.tag == "meta" else fields).append(el)
    # a second <title> in <body> marks a nested page (a stray <meta> in <body> alone does not)
    nested = body is not None and any(_in_body(el, body) for el in titles)
    if nested:
        titles = titles[::-1]
        # the wrapper's own <meta>s (its PubDate is when it collected the page) are not evidence
        metas = [m for m in metas if _in_body(m, body)][::-1]
        fields = fields[::-1]
    titles = [t for t in (squash(text_of(el)) for el in titles) if t]
    meta = {}
    for m in metas:
        name = (m.get("name") or m.get("property") or "").strip()
        content = (m.get("content") or "").strip()
        if name and content:
            meta.setdefault(name.lower(), content)
    for el in fields:   # CMS fields printed as elements: <publishtime>2024-01-20</publishtime>
        value = squash(text_of(el))
        if value:
            meta.setdefault(el.tag, value)
    etree.strip_elements(root, *DROP_TAGS, with_tail=False)
    if body is None:
        body = root
    lines = _walk(body, budget)
    return Document(lines=lines, is_html=True, root=root, meta=meta, page_title=titles[0] if titles else None,
                    page_titles=titles, nested=nested, warnings=budget.warnings)


def _in_body(el, body) -> bool:
    return any(a is body for a in el.iterancestors())


def _is_data_table(table) -> bool:
    return table.find(".//table") is None


def _walk(body, budget: Budget | None = None) -> list[Line]:
    """Blocks and table rows in document order (iterative: deep nesting is fine)."""
    budget = budget or Budget()
    lines: list[Line] = []
    buf: list[str] = []
    buf_el = [None]
    table_no = 0

    def flush():
        if buf:
            raw = "".join(buf)
            # whitespace between tags (most flushes): nothing printed, no regex run
            printed = _WS.sub(" ", raw).strip() if not raw.isspace() else ""
            if printed:
                line = Line([Cell(_CJK_GAP.sub("", printed) if " " in printed else printed)], element=buf_el[0])
                line.printed = printed
                lines.append(line)
            buf.clear()
        buf_el[0] = None

    walker = etree.iterwalk(body, events=("start", "end"))
    skip = walker.skip_subtree
    blocks = BLOCK_TAGS
    deadline = budget.deadline
    steps = 0
    # (flush() is called only when text is waiting: after a flush, buf_el is None already)
    for event, el in walker:
        steps += 1
        if not steps & 0x3FFF and time.monotonic() > deadline:
            budget.warn(f"time limit: the page was cut after {HTML_TIME_BUDGET:g} s of reading")
            break
        tag = el.tag
        if event == "start":
            if tag == "table" and _is_data_table(el):
                if buf:
                    flush()
                rows = _grid(el, table_no, budget)
                if rows is None:
                    # too big to be a statistics table: read it as text
                    text = squash(text_of(el))
                    if text:
                        lines.append(Line([Cell(text)], element=el))
                else:
                    lines.extend(rows)
                table_no += 1
                skip()
                # the table's tail is handled on its "end" event
                continue
            if buf and tag in blocks:
                flush()
            text = el.text
            if text:
                if buf_el[0] is None:
                    buf_el[0] = el
                buf.append(text)
        else:
            if buf and tag in blocks:
                flush()
            tail = el.tail
            if tail and el is not body:
                if buf_el[0] is None:
                    buf_el[0] = el.getparent()
                buf.append(tail)
    flush()
    return lines


def _grid(table, table_no: int, budget: Budget | None = None) -> list[Line] | None:
    """Rows of a data table with rowspan/colspan expanded into a grid.

    Every cell of the grid counts, the copies a span makes too, against this table's
    limit (``MAX_GRID_CELLS``) and the page's (*budget*); a table past either is None
    (read as text), a table past the page's with a warning naming the limit.
    """
    left = budget.cells if budget is not None else MAX_DOC_CELLS
    if left <= 0:
        budget.warn(f"cell limit: tables past {MAX_DOC_CELLS} grid cells (spans expanded) read as text")
        return None
    limit = min(MAX_GRID_CELLS, left)
    rows = [tr for tr in table.iter("tr")]
    pending: dict[tuple[int, int], Cell] = {}   # (row, col) -> copy from a rowspan
    out: list[Line] = []
    total = 0
    for r, tr in enumerate(rows):
        cells: list[Cell] = []
        col = 0

        def take_pending():
            nonlocal col
            while (r, col) in pending:
                cells.append(pending.pop((r, col)))
                col += 1

        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            take_pending()
            text = squash(text_of(td))
            rs = _span(td.get("rowspan"))
            cs = _span(td.get("colspan"))
            for dc in range(cs):
                cell = Cell(text, col + dc, origin=(dc == 0))
                cells.append(cell)
                for dr in range(1, rs):
                    pending[(r + dr, col + dc)] = Cell(text, col + dc, origin=False)
            col += cs
            total += cs * rs
            if total > limit:
                if limit < MAX_GRID_CELLS:
                    budget.cells = 0
                    budget.warn(f"cell limit: tables past {MAX_DOC_CELLS} grid cells (spans expanded) read as text")
                elif budget is not None:
                    budget.warn(f"cell limit: a table of more than {MAX_GRID_CELLS} grid cells (spans expanded) "
                                "read as text")
                return None
        take_pending()
        if cells:
            out.append(Line(cells, table=table_no, element=tr))
    if budget is not None:
        budget.cells -= total
    return out


def _span(value: str | None) -> int:
    if value is None:
        return 1
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return n if 1 <= n <= MAX_SPAN else 1


def looks_like_html(text: str) -> bool:
    head = text[:4096].lstrip().lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "<!--", "<head", "<body", "<meta")):
        return True
    return bool(re.search(r"<(?:html|body|div|p|table|span|meta|br)\b", head))
