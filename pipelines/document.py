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

_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"\S+")
_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")
# "-4-", "- 5-", "— 3 —", "第4页 共6页", "3/6" alone on a line; a lone "-2" is a value (本年增/减)
PAGE_FOOTER = re.compile(
    r"^\s*(?:[-－—–]\s*\d{1,3}\s*[-－—–]|第\s*\d{1,3}\s*页(?:\s*[/，,]?\s*共\s*\d{1,3}\s*页)?"
    r"|\d{1,3}\s*/\s*\d{1,3})\s*$"
)


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


@dataclass(slots=True)
class Document:
    lines: list[Line]
    is_html: bool
    root: object = None                 # lxml root (HTML only)
    meta: dict[str, str] = field(default_factory=dict)   # <meta name=… content=…>
    page_title: str | None = None       # <title>
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, text) in the body
    blank_cells: bool = False           # whether a NBSP-only line was kept as a blank cell
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
    """
    lines: list[Line] = []
    blank_cells = False
    for raw in text.splitlines():
        if not raw.strip():
            if raw and ("\xa0" in raw or "\u3000" in raw):
                lines.append(Line([Cell("", 0)]))
                blank_cells = True
            continue
        if PAGE_FOOTER.match(raw):
            continue
        flat = raw.replace("\xa0", " ").replace("\u3000", " ")
        lines.append(Line([Cell(m.group(0), m.start()) for m in _TOKEN.finditer(flat)]))
    return Document(lines=lines, is_html=False, blank_cells=blank_cells)


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
    meta = {}
    for m in root.iterfind(".//meta"):
        name = (m.get("name") or m.get("property") or "").strip()
        if name and m.get("content") is not None:
            meta.setdefault(name.lower(), m.get("content").strip())
    title_el = root.find(".//title")
    page_title = squash(text_of(title_el)) if title_el is not None else None
    etree.strip_elements(root, *DROP_TAGS, with_tail=False)
    body = root.find("body")
    if body is None:
        body = root
    lines = _walk(body, budget)
    return Document(lines=lines, is_html=True, root=root, meta=meta, page_title=page_title,
                    warnings=budget.warnings)


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
            printed = _WS.sub(" ", "".join(buf)).strip()
            if printed:
                line = Line([Cell(_CJK_GAP.sub("", printed) if " " in printed else printed)], element=buf_el[0])
                line.printed = printed
                lines.append(line)
            buf.clear()
        buf_el[0] = None

    walker = etree.iterwalk(body, events=("start", "end"))
    steps = 0
    for event, el in walker:
        steps += 1
        if not steps & 0x3FFF and time.monotonic() > budget.deadline:
            budget.warn(f"time limit: the page was cut after {HTML_TIME_BUDGET:g} s of reading")
            break
        tag = el.tag
        if event == "start":
            if tag == "table" and _is_data_table(el):
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
                walker.skip_subtree()
                # the table's tail is handled on its "end" event
                continue
            if tag in BLOCK_TAGS:
                flush()
            if el.text:
                if buf_el[0] is None:
                    buf_el[0] = el
                buf.append(el.text)
        else:
            if tag in BLOCK_TAGS:
                flush()
            if el.tail and el is not body:
                if buf_el[0] is None:
                    buf_el[0] = el.getparent()
                buf.append(el.tail)
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
