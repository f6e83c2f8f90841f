"""DOCX: body paragraphs and tables in order, tables as grids with merged cells expanded.

A Word table row becomes one :class:`~pipelines.document.Line` with a cell per grid
column, exactly like an HTML row in :func:`pipelines.document._grid`: a cell spanning
columns (``w:gridSpan``, old ``w:hMerge``) fills each of them, a cell merged down
(``w:vMerge``) is repeated in the rows below, and every copy is marked
``origin=False`` so the table readers do not count it as a value twice. Rows
skipping grid columns (``w:gridBefore`` / ``w:gridAfter``) keep their positions.

The zip directory is checked before anything is inflated: too many members, too
much uncompressed data or an absurd compression ratio is refused as a zip bomb.
"""
from __future__ import annotations

import io
import zipfile

from ..document import MAX_DOC_CELLS, MAX_GRID_CELLS, MAX_SPAN, Budget, Cell, Document, Line, squash
from . import Converted, limits

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def check_zip(data: bytes) -> tuple[zipfile.ZipFile | None, str | None]:
    """(open zip, None) when it is safe to read, else (None, why not)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return None, f"damaged or truncated zip ({exc})"
    if len(infos) > limits.MAX_ZIP_MEMBERS:
        return None, f"zip has {len(infos)} members: refused"
    total = sum(i.file_size for i in infos)
    if total > limits.MAX_ZIP_UNCOMPRESSED:
        return None, (f"zip inflates to {total / 2**20:.0f} MB (limit {limits.MAX_ZIP_UNCOMPRESSED / 2**20:.0f} MB): "
                      "refused as a possible zip bomb")
    for i in infos:
        if i.file_size > 1 << 20 and i.file_size > limits.MAX_ZIP_RATIO * max(i.compress_size, 1):
            return None, f"zip member {i.filename} is compressed {i.file_size // max(i.compress_size, 1)}:1: refused as a possible zip bomb"
    return zf, None


def convert_zip(data: bytes, fmt: str = "docx") -> Converted:
    out = Converted(format=fmt)
    zf, why = check_zip(data)
    if zf is None:
        out.kind = "unreadable"
        out.warnings.append(f"{fmt.upper() if fmt != 'zip' else 'zip'}: {why}")
        return out
    names = set(zf.namelist())
    if "word/document.xml" not in names:
        what = ("a spreadsheet (XLSX)" if "xl/workbook.xml" in names else
                "an OFD document" if "OFD.xml" in names else "a zip archive")
        out.format = "xlsx" if "xl/workbook.xml" in names else "ofd" if "OFD.xml" in names else "zip"
        out.kind = "unreadable"
        out.warnings.append(f"{what}, not a Word document: not read")
        return out
    try:
        import docx
    except ImportError:
        out.kind = "unreadable"
        out.warnings.append("DOCX not read: the python-docx package is not installed")
        return out
    # every member is bounded (checked above); python-docx inflates only the parts it needs
    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as exc:
        out.kind = "unreadable"
        out.warnings.append(f"DOCX could not be opened ({type(exc).__name__}: {str(exc)[:160]})")
        return out
    out.document = docx_document(d, out.warnings)
    if not out.document.lines:
        out.document = None
        out.kind = "unreadable"
        out.warnings.append("DOCX has no text")
    return out


def docx_document(d, warnings: list[str]) -> Document:
    """A python-docx Document as the parser's line stream."""
    lines: list[Line] = []
    tables = [0]
    chars = [0]
    budget = Budget()

    def walk(parent):
        for child in parent.iterchildren():
            tag = child.tag
            if tag == W + "p":
                text = _para_text(child)
                chars[0] += len(text)
                printed = " ".join(text.split())
                if printed:
                    line = Line([Cell(squash(printed))])
                    line.printed = printed
                    lines.append(line)
            elif tag == W + "tbl":
                rows = table_grid(child, tables[0], budget)
                if rows is None:
                    text = squash(" ".join(_para_text(p) for p in child.iter(W + "p")))
                    chars[0] += len(text)
                    if text:
                        lines.append(Line([Cell(text)]))
                    if budget.cells > 0:
                        warnings.append(f"cell limit: DOCX table {tables[0] + 1} has more than {MAX_GRID_CELLS} "
                                        "grid cells (merged cells expanded): read as text")
                    elif not any(w.startswith("cell limit: DOCX tables past") for w in warnings):
                        warnings.append(f"cell limit: DOCX tables past {MAX_DOC_CELLS} grid cells "
                                        "(merged cells expanded) read as text")
                else:
                    lines.extend(rows)
                tables[0] += 1
            elif tag in (W + "sdt", W + "sdtContent", W + "customXml", W + "smartTag", W + "ins"):
                if walk(child):   # content controls and tracked insertions wrap body content
                    return True
            if chars[0] > limits.MAX_TEXT_CHARS:
                warnings.append(f"DOCX text cut at {limits.MAX_TEXT_CHARS} characters")
                return True
        return False

    body = d.element.body
    walk(body)
    return Document(lines=lines, is_html=False)


def _para_text(p) -> str:
    """A paragraph's text: runs, tabs and breaks (deleted text left out)."""
    parts = []
    for el in p.iter(W + "t", W + "tab", W + "br", W + "cr", W + "delText"):
        if el.tag == W + "t":
            parts.append(el.text or "")
        elif el.tag == W + "delText":
            continue
        else:
            parts.append(" ")
    return "".join(parts)


def _cell_text(tc) -> str:
    return squash(" ".join(_para_text(p) for p in tc.iter(W + "p")))


def _int(el, default: int = 1) -> int:
    if el is None:
        return default
    try:
        n = int(el.get(W + "val"))
    except (TypeError, ValueError):
        return default
    return n if 0 <= n <= MAX_SPAN else default


def table_grid(tbl, table_no: int, budget: Budget | None = None) -> list[Line] | None:
    """Rows of a Word table with gridSpan / vMerge / hMerge expanded (None: too big).

    Every grid cell counts against the limits, the copies a merge makes too: the
    table's (``MAX_GRID_CELLS``) and the document's (*budget*, ``MAX_DOC_CELLS``; once
    spent, budget.cells is 0).
    """
    out: list[Line] = []
    above: dict[int, str] = {}      # grid column -> text of the vMerge restart cell above
    total = 0
    left = budget.cells if budget is not None else MAX_DOC_CELLS
    limit = min(MAX_GRID_CELLS, left)
    if limit <= 0:
        return None

    def spent() -> bool:
        if total <= limit:
            return False
        if budget is not None and limit < MAX_GRID_CELLS:
            budget.cells = 0
        return True
    for tr in tbl.iterchildren(W + "tr"):
        cells: list[Cell] = []
        col = 0
        trpr = tr.find(W + "trPr")
        before = _int(trpr.find(W + "gridBefore"), 0) if trpr is not None else 0
        for _ in range(before):
            cells.append(Cell("", col, origin=False))
            col += 1
        total += before
        prev_text = None
        for tc in _row_cells(tr):
            pr = tc.find(W + "tcPr")
            span = _int(pr.find(W + "gridSpan")) if pr is not None else 1
            span = max(span, 1)
            vmerge = pr.find(W + "vMerge") if pr is not None else None
            hmerge = pr.find(W + "hMerge") if pr is not None else None
            text = _cell_text(tc)
            if vmerge is not None and vmerge.get(W + "val") in (None, "continue"):
                # merged with the cell above: a copy of its text
                total += span
                if spent():
                    return None
                for dc in range(span):
                    cells.append(Cell(above.get(col + dc, ""), col + dc, origin=False))
                col += span
                continue
            if hmerge is not None and hmerge.get(W + "val") in (None, "continue") and prev_text is not None:
                total += span
                if spent():
                    return None
                for dc in range(span):
                    cells.append(Cell(prev_text, col + dc, origin=False))
                col += span
                continue
            for dc in range(span):
                cells.append(Cell(text, col + dc, origin=(dc == 0)))
                above[col + dc] = text
            prev_text = text
            col += span
            total += span
            if spent():
                return None
        if cells:
            out.append(Line(cells, table=table_no))
    if budget is not None:
        budget.cells -= total
    return out


def _row_cells(tr):
    """The row's w:tc elements, also those inside content controls."""
    for child in tr.iterchildren():
        if child.tag == W + "tc":
            yield child
        elif child.tag in (W + "sdt", W + "customXml"):
            content = child.find(W + "sdtContent") if child.tag == W + "sdt" else child
            if content is not None:
                yield from content.iterchildren(W + "tc")
