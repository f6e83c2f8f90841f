"""Generated hostile inputs (issue 13): each small to write down, each once a stall, a
bloat or an escape.  Shared by tests/test_hostile.py and bench/hostile.py."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPORT_HTML = REPO / "tests/fixtures/reports/cms_gbk_zheyang_county_2022.html"   # a real report page (GBK)

BOMB_TABLE = ("<table><tr>" + "<td colspan=64 rowspan=64></td>" * 4 + "</tr>" + "<tr></tr>" * 63 + "</table>")


def span_bomb_html(size: int = 735_000, report: bool = True) -> bytes:
    """Tables of four 64×64 spanned cells over 63 empty rows, after a real report's body
    (the issue's 735 KB page parsed in 62 s using 1.2 GB)."""
    bombs = BOMB_TABLE * (size // len(BOMB_TABLE))
    if not report:
        return f"<html><body>{bombs}</body></html>".encode()
    page = REPORT_HTML.read_bytes().decode("gbk")
    cut = page.rindex("</body>")
    return (page[:cut] + bombs + page[cut:]).encode("gbk")


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  '<Default Extension="xml" ContentType="application/xml"/>'
                  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                  'officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         'officeDocument" Target="word/document.xml"/></Relationships>')


def docx(body_xml: str) -> bytes:
    """A minimal DOCX (what python-docx needs) around a ``w:body``'s content."""
    doc = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_W}><w:body>'
           f'{body_xml}</w:body></w:document>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("word/document.xml", doc)
    return buf.getvalue()


def docx_span_bomb(rows: int = 600, cells: int = 40, seed: int = 13) -> bytes:
    """A table whose cells span 64 grid columns, merged down row after row
    (``<w:gridSpan w:val="64"/><w:vMerge/>``): a few KB per row expand to 64× as many
    grid cells (the issue's 793 KB DOCX parsed in 72 s using 4.25 GB)."""
    import random
    rnd = random.Random(seed)   # cell widths vary, as Word writes them: the zip is not a zip bomb

    def tc(merge: str, text: str = "") -> str:
        return (f'<w:tc><w:tcPr><w:tcW w:w="{rnd.randrange(100, 99999)}" w:type="dxa"/><w:gridSpan w:val="64"/>'
                f'<w:vMerge{merge}/></w:tcPr><w:p>{text}</w:p></w:tc>')
    para = '<w:p><w:r><w:t>一、总体情况</w:t></w:r></w:p><w:p><w:r><w:t>本机关认真贯彻落实。</w:t></w:r></w:p>'
    first = "<w:tr>" + "".join(tc(' w:val="restart"', "<w:r><w:t>x</w:t></w:r>") for _ in range(cells)) + "</w:tr>"
    merged = "".join("<w:tr>" + "".join(tc("") for _ in range(cells)) + "</w:tr>" for _ in range(rows))
    return docx(para + "<w:tbl>" + first + merged + "</w:tbl>" + para)


def nested_divs(depth: int = 3000) -> str:
    return ("<html><body><p>政府信息公开工作年度报告</p>" + "<div>" * depth + "<p>深处的正文：本年新收申请12件。</p>"
            + "</div>" * depth + "<p>之后的正文：行政复议0件。</p></body></html>")


#: 200 KB inputs on which one regex each used to take 18-43 s (each start scanned to the end)
ADVERSARIAL_TEXT = {
    "src= without a quote (PHPCMS / EmpireCMS counters)": "src=" * 50_000,
    "open <record> CDATA (Hanweb)": "<record><![CDATA[" * 12_000,
    "'<' without '>' (tag stripping)": "<" * 200_000,
    "a digit run (pager '1/7')": "1" * 200_000,
    "a count of 100,000 digits": "点击：" + "1" * 100_000 + " #hits').html('" + "2" * 100_000,
    "quotes and slashes (visit.jsp, ViewCount)": "'/" * 100_000,
    "whitespace after labels": "点击" + " " * 200_000 + "发布时间：" + "\t" * 100_000,
    "labels without values": "发布时间：" * 20_000 + "来源：" * 20_000 + "点击：" * 20_000,
    "years without dates": "2020年" * 40_000,
    "createPageHTML without arguments": "createPageHTML(" * 15_000,
    "dataproxy.jsp?": "dataproxy.jsp?" * 15_000,
    # each anchor's row text was read whole: 1,000 anchors in one row took 70 s
    "4,000 anchors in one list row": "<ul><li>" + "".join(
        f"<a href='/a{i}.html'>政府信息公开工作年度报告{i}</a> 2023-01-01 " for i in range(4000)) + "</li></ul>",
}


def sqlite_overflow_html() -> bytes:
    """The real report with one table-3 cell printed as 999999999999999999999999."""
    import re
    page = REPORT_HTML.read_bytes().decode("gbk")
    at = page.index("本年新收")
    m = re.compile(r">\s*(\d+)\s*<").search(page, at)
    return (page[:m.start(1)] + "999999999999999999999999" + page[m.end(1):]).encode("gbk")
