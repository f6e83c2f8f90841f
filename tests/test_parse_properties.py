"""Property tests (issue 12): random valid tables, rendered in the shapes reports arrive in.

For tables 2, 3 and 4 filled with random numbers that satisfy the template's identities and
rendered as (a) HTML with random spans, wrappers, blank marks and the template's merged cells,
(b) run-together text (every separator gone, blank cells sometimes lost) and (c) layout text
with the row labels detached from their numbers, the parser returns exactly the values, or
leaves the row/table out and names it in ``warnings`` — never a wrong number.
"""
from __future__ import annotations

import html

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines import parse_document
from pipelines.labels import ACTIVE_2021, APPLICANT_COLUMNS, REVIEW_BLOCKS, REVIEW_COLUMNS

ROWS = [  # key, label as the 2021 template prints it, group heading printed before it
    ("new_received", "一、本年新收政府信息公开申请数量", None),
    ("carried_over", "二、上年结转政府信息公开申请数量", None),
    ("granted", "（一）予以公开", "三、本年度办理结果"),
    ("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", None),
    ("denied.state_secret", "1.属于国家秘密", "（三）不予公开"),
    ("denied.law_forbidden", "2.其他法律行政法规禁止公开", None),
    ("denied.security_stability", "3.危及“三安全一稳定”", None),
    ("denied.third_party", "4.保护第三方合法权益", None),
    ("denied.internal_affairs", "5.属于三类内部事务信息", None),
    ("denied.process_info", "6.属于四类过程性信息", None),
    ("denied.enforcement_files", "7.属于行政执法案卷", None),
    ("denied.query_matters", "8.属于行政查询事项", None),
    ("unable.not_held", "1.本机关不掌握相关政府信息", "（四）无法提供"),
    ("unable.needs_creation", "2.没有现成信息需要另行制作", None),
    ("unable.unclear", "3.补正后申请内容仍不明确", None),
    ("not_handled.complaint", "1.信访举报投诉类申请", "（五）不予处理"),
    ("not_handled.repeated", "2.重复申请", None),
    ("not_handled.publication", "3.要求提供公开出版物", None),
    ("not_handled.excessive", "4.无正当理由大量反复申请", None),
    ("not_handled.confirm", "5.要求行政机关确认或重新出具已获取信息", None),
    ("other.no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "（六）其他处理"),
    ("other.no_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", None),
    ("other.misc", "3.其他", None),
    ("total_handled", "（七）总计", None),
    ("carried_forward", "四、结转下年度继续办理", None),
]
RESULTS = [k for k, _, _ in ROWS if k not in ("new_received", "carried_over", "total_handled", "carried_forward")]
ACTIVE_LABELS = {"regulations": "规章", "normative_documents": "行政规范性文件", "licensing": "行政许可",
                 "punishment": "行政处罚", "enforcement": "行政强制", "fees": "行政事业性收费"}
TABLES = ("active_disclosure", "applications", "reviews_litigation")

small = st.one_of(st.just(0), st.just(0), st.integers(0, 9), st.integers(0, 250))


@st.composite
def tables(draw):
    """Tables 2, 3 and 4 whose numbers satisfy every identity the template states."""
    parts = APPLICANT_COLUMNS[:-1]
    app = {}
    for key in RESULTS:
        app[key] = {c: draw(small) if draw(st.integers(0, 3)) == 0 else 0 for c in parts}
    app["total_handled"] = {c: sum(app[r][c] for r in RESULTS) for c in parts}
    app["carried_forward"] = {c: draw(small) if draw(st.booleans()) else 0 for c in parts}
    app["carried_over"] = {c: draw(st.integers(0, app["total_handled"][c] + app["carried_forward"][c]))
                           for c in parts}
    app["new_received"] = {c: app["total_handled"][c] + app["carried_forward"][c] - app["carried_over"][c]
                           for c in parts}
    for row in app.values():
        row["total"] = sum(row[c] for c in parts)
    app = {k: app[k] for k, _, _ in ROWS}
    rev = {}
    for block in REVIEW_BLOCKS:
        vals = [draw(small) for _ in range(4)]
        rev[block] = dict(zip(REVIEW_COLUMNS, vals + [sum(vals)]))
    act = {key: {c: draw(small) for c in cols} for key, cols in ACTIVE_2021.items() if key != "fees"}
    act["fees"] = {"amount": draw(st.one_of(st.just(0), st.integers(1, 9999),
                                            st.decimals(1, 9999, places=2).map(lambda d: float(d))))}
    act["fees"]["amount"] = int(act["fees"]["amount"]) if float(act["fees"]["amount"]).is_integer() \
        else act["fees"]["amount"]
    return act, app, rev


TITLE = "测试县人民政府2023年政府信息公开工作年度报告"
INTRO = "一、总体情况\n2023年，本县认真贯彻落实《条例》。\n"
OUTRO = "五、存在的主要问题及改进情况\n仍有不足。\n六、其他需要报告的事项\n无。\n"


def assert_honest(record: dict, truth: dict) -> int:
    """Every value given is the true one; every row or table not given is named in a warning.
    Returns the number of rows read."""
    assert record["kind"] == "report"
    read = 0
    for table in TABLES:
        got = record[table] or {}
        for row, cells in truth[table].items():
            if row in got:
                assert got[row] == cells, (table, row, got[row], cells)
                read += 1
            else:
                assert any(table in w and (row in w or "table left out" in w or "not read" in w)
                           for w in record["warnings"]), (table, row, record["warnings"])
        for row in got:
            assert row in truth[table], (table, row)
    statuses = {c["name"]: c["status"] for c in record["checks"]}
    rows_total = sum(len(truth[t]) for t in TABLES)
    if read < rows_total:
        assert statuses["tables_read"] == "warn"
    return read


def fmt(n) -> str:
    return f"{n:.2f}".rstrip("0").rstrip(".") if isinstance(n, float) else str(n)


# ------------------------------------------------------------------ (a) HTML

def _wrap(draw, text: str, pieces: bool = True) -> str:
    """Text split into random runs, each in random inline wrappers, as Word pastes it."""
    if pieces and len(text) > 2 and draw(st.booleans()):
        cut = draw(st.integers(1, len(text) - 1))
        return _wrap(draw, text[:cut], False) + _wrap(draw, text[cut:], False)
    out = html.escape(text)
    for _ in range(draw(st.integers(0, 2))):
        tag = draw(st.sampled_from(["span", "font", "b", "strong", "em"]))
        out = f'<{tag} style="font-family:宋体">{out}</{tag}>'
    return out


def _cell_value(draw, n) -> str:
    if n == 0:
        return draw(st.sampled_from(["0", "", "&nbsp;", "—", "/", "无", "<o:p>&nbsp;</o:p>"]))
    s = fmt(n)
    if draw(st.integers(0, 5)) == 0:
        s = s.translate({ord(d): chr(0xFF10 + int(d)) for d in "0123456789"})
    return _wrap(draw, s)


def _td(inner: str, rowspan: int = 1, colspan: int = 1, wrap_p: bool = True) -> str:
    attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    body = f"<p>{inner}</p>" if wrap_p else inner
    return f"<td{attrs}>{body}</td>"


def render_html(draw, act, app, rev) -> str:
    t2 = ['<table border="1"><tbody>',
          "<tr>" + _td("第二十条第（一）项", colspan=4) + "</tr>",
          "<tr>" + "".join(_td(_wrap(draw, h)) for h in ("信息内容", "本年制发件数", "本年废止件数", "现行有效件数")) + "</tr>"]
    for key in ("regulations", "normative_documents"):
        t2.append("<tr>" + _td(_wrap(draw, ACTIVE_LABELS[key]))
                  + "".join(_td(_cell_value(draw, v)) for v in act[key].values()) + "</tr>")
    for item, keys, head in (("（五）", ["licensing"], "本年处理决定数量"), ("（六）", ["punishment", "enforcement"], "本年处理决定数量"),
                             ("（八）", ["fees"], "本年收费金额（单位：万元）")):
        t2.append("<tr>" + _td(f"第二十条第{item}项", colspan=4) + "</tr>")
        t2.append("<tr>" + _td("信息内容") + _td(head, colspan=3) + "</tr>")
        for key in keys:
            v = next(iter(act[key].values()))
            t2.append("<tr>" + _td(_wrap(draw, ACTIVE_LABELS[key])) + _td(_cell_value(draw, v), colspan=3) + "</tr>")
    t2.append("</tbody></table>")

    t3 = ['<table border="1"><tbody>',
          "<tr>" + _td("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3)
          + _td("申请人情况", colspan=7) + "</tr>",
          "<tr>" + _td("自然人", rowspan=2) + _td("法人或其他组织", colspan=5) + _td("总计", rowspan=2) + "</tr>",
          "<tr>" + "".join(_td(h) for h in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")) + "</tr>"]
    spans = {"granted": 20, "denied.state_secret": 8, "unable.not_held": 3, "not_handled.complaint": 5,
             "other.no_correction": 3}
    for key, label, group in ROWS:
        vals = "".join(_td(_cell_value(draw, v)) for v in app[key].values())
        if key in ("new_received", "carried_over", "carried_forward"):
            t3.append("<tr>" + _td(_wrap(draw, label), colspan=3) + vals + "</tr>")
        elif key in ("granted", "partially_granted", "total_handled"):
            head = _td(_wrap(draw, group), rowspan=22) if key == "granted" else ""
            t3.append("<tr>" + head + _td(_wrap(draw, label), colspan=2) + vals + "</tr>")
        else:
            head = _td(_wrap(draw, group), rowspan=spans[key]) if key in spans else ""
            t3.append("<tr>" + head + _td(_wrap(draw, label)) + vals + "</tr>")
    t3.append("</tbody></table>")

    t4 = ['<table border="1"><tbody>',
          "<tr>" + _td("行政复议", colspan=5) + _td("行政诉讼", colspan=10) + "</tr>",
          "<tr>" + "".join(_td(h, rowspan=2) for h in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"))
          + _td("未经复议直接起诉", colspan=5) + _td("复议后起诉", colspan=5) + "</tr>",
          "<tr>" + "".join(_td(h) for h in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计") * 2) + "</tr>",
          "<tr>" + "".join(_td(_cell_value(draw, v)) for b in REVIEW_BLOCKS for v in rev[b].values()) + "</tr>",
          "</tbody></table>"]
    wrapper = draw(st.sampled_from(['<div class="TRS_Editor">{}</div>', '<div id="zoom"><div>{}</div></div>',
                                    '<article>{}</article>', '<div class="content"><section>{}</section></div>']))
    body = (f"<h1>{TITLE}</h1><p>一、总体情况</p><p>2023年，本县认真贯彻落实《条例》。</p>"
            f"<p>{_wrap(draw, '二、主动公开政府信息情况')}</p>{''.join(t2)}"
            f"<p>{_wrap(draw, '三、收到和处理政府信息公开申请情况')}</p>{''.join(t3)}"
            f"<p>{_wrap(draw, '四、政府信息公开行政复议、行政诉讼情况')}</p>{''.join(t4)}"
            "<p>五、存在的主要问题及改进情况</p><p>仍有不足。</p><p>六、其他需要报告的事项</p><p>无。</p>")
    return f"<html><head><meta charset='utf-8'><title>{TITLE}</title></head><body>{wrapper.format(body)}</body></html>"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.data())
def test_html_with_random_spans_and_wrappers(t, data):
    act, app, rev = t
    page = render_html(data.draw, act, app, rev)
    record = parse_document(page.encode("utf-8"))
    truth = {"active_disclosure": act, "applications": app, "reviews_litigation": rev}
    # clean HTML tables: every row is read
    assert assert_honest(record, truth) == sum(len(v) for v in truth.values())


# ------------------------------------------------------------------ (b) run-together text

def render_run(draw, act, app, rev) -> str:
    def cell(n):
        if n == 0:
            return draw(st.sampled_from(["0", "0", "0", "", "—"]))
        return fmt(n)

    out = [TITLE, "一、总体情况2023年，本县认真贯彻落实《条例》。二、主动公开政府信息情况",
           "第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数"]
    for key in ("regulations", "normative_documents"):
        out.append(ACTIVE_LABELS[key] + "".join(cell(v) for v in act[key].values()))
    out.append("第二十条第（五）项信息内容本年处理决定数量行政许可" + cell(act["licensing"]["decisions"]))
    out.append("第二十条第（六）项信息内容本年处理决定数量行政处罚" + cell(act["punishment"]["decisions"])
               + "行政强制" + cell(act["enforcement"]["decisions"]))
    out.append("第二十条第（八）项信息内容本年收费金额（单位：万元）行政事业性收费" + cell(act["fees"]["amount"]))
    out.append("三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
               "申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他")
    for key, label, group in ROWS:
        out.append((group or "") + label + "".join(cell(v) for v in app[key].values()))
    out.append("四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计"
               "未经复议直接起诉复议后起诉" + "结果维持结果纠正其他结果尚未审结总计" * 2)
    out.append("".join(cell(v) for b in REVIEW_BLOCKS for v in rev[b].values()))
    out.append("五、存在的主要问题及改进情况仍有不足。六、其他需要报告的事项无。")
    return "".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.data())
def test_run_together_text_exact_or_left_out(t, data):
    act, app, rev = t
    text = render_run(data.draw, act, app, rev)
    record = parse_document(text.encode("utf-8"))
    assert_honest(record, {"active_disclosure": act, "applications": app, "reviews_litigation": rev})


def test_run_together_all_zero_report_reads_whole():
    act = {k: dict.fromkeys(c, 0) for k, c in ACTIVE_2021.items()}
    app = {k: dict.fromkeys(APPLICANT_COLUMNS, 0) for k, _, _ in ROWS}
    rev = {b: dict.fromkeys(REVIEW_COLUMNS, 0) for b in REVIEW_BLOCKS}
    text = render_run(lambda s: "0", act, app, rev)
    record = parse_document(text)
    truth = {"active_disclosure": act, "applications": app, "reviews_litigation": rev}
    assert assert_honest(record, truth) == sum(len(v) for v in truth.values())


# ------------------------------------------------------------------ (c) layout text, detached labels

def render_layout(draw, act, app, rev, gaps: bool = False) -> str:
    """PDF layout text: each label on its own line(s), its numbers on the next line in columns;
    with ``gaps``, some blank cells print nothing at all (only their column's spaces)."""
    width = 8
    def header(first, heads, indent=14):
        """Column headers centred over their numbers, as a PDF lays them out."""
        line = first.ljust(indent)
        for i, h in enumerate(heads):
            start = indent + width * i + width - 1 - (len(h) + 1) // 2
            line = line.ljust(start) + h
        return line

    lines = [TITLE, INTRO.strip(), "二、主动公开政府信息情况", "第二十条第（一）项",
             header("信息内容", ["本年制发件数", "本年废止件数", "现行有效件数"])]

    def numbers(vals, indent=14):
        return " " * indent + "".join(
            (" " if gaps and v == 0 and draw(st.integers(0, 3)) == 0 else fmt(v)).rjust(width) for v in vals)

    for key in ("regulations", "normative_documents"):
        lines += [ACTIVE_LABELS[key], numbers(act[key].values())]
    for item, keys, head in (("（五）", ["licensing"], "本年处理决定数量"), ("（六）", ["punishment", "enforcement"], "本年处理决定数量"),
                             ("（八）", ["fees"], "本年收费金额（单位：万元）")):
        lines += [f"第二十条第{item}项", header("信息内容", [head])]
        for key in keys:
            lines += [ACTIVE_LABELS[key], numbers(act[key].values())]
    lines += ["三、收到和处理政府信息公开申请情况", " " * 30 + "申请人情况",
              " " * 14 + "自然人".rjust(width) + "".join(h.rjust(width) for h in
                                                      ("商业企业", "科研机构", "社会公益", "法律服务", "其他", "总计"))]
    for key, label, group in ROWS:
        if group:
            lines.append(group)
        if len(label) > 12 and draw(st.booleans()):
            cut = draw(st.integers(4, len(label) - 4))
            lines += [label[:cut], label[cut:]]      # a label split over two lines
        else:
            lines.append(label)
        lines.append(numbers(app[key].values()))
    lines += ["四、政府信息公开行政复议、行政诉讼情况", "        行政复议                    行政诉讼",
              "  结果维持 结果纠正 其他结果 尚未审结 总计  未经复议直接起诉  复议后起诉",
              numbers([v for b in REVIEW_BLOCKS for v in rev[b].values()], indent=2)]
    lines += OUTRO.strip().splitlines()
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.data())
def test_layout_text_with_detached_labels(t, data):
    act, app, rev = t
    text = render_layout(data.draw, act, app, rev)
    record = parse_document(text.encode("utf-8"))
    truth = {"active_disclosure": act, "applications": app, "reviews_litigation": rev}
    assert assert_honest(record, truth) == sum(len(v) for v in truth.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.data())
def test_layout_text_with_lost_blank_cells(t, data):
    act, app, rev = t
    text = render_layout(data.draw, act, app, rev, gaps=True)
    record = parse_document(text.encode("utf-8"))
    assert_honest(record, {"active_disclosure": act, "applications": app, "reviews_litigation": rev})


# ------------------------------------------------------------------ (d) one cell a line, by columns

def render_cells(draw, act, app, rev) -> str:
    """`pdftotext` default-mode text: one cell a line, an empty line between the text blocks.
    Table 3's labels all print before (or after) its numbers; its rows are cut into bands,
    each printed cell by cell or column by column (a column's cells one block), or the whole
    grid column by column with no empty line at all. Zeros print as 0 or a blank mark."""
    def cell(n):
        return draw(st.sampled_from(["0", "0", "无", "-", "/", "——"])) if n == 0 else fmt(n)

    out = [TITLE, "", INTRO.strip(), "", "二、主动公开政府信息情况", "第二十条第（一）项", "信息内容",
           "本年制发件数", "本年废止件数", "现行有效件数"]
    for key in ("regulations", "normative_documents"):
        out += ["", ACTIVE_LABELS[key]] + [x for v in act[key].values() for x in ("", cell(v))]
    for item, keys in (("（五）", ["licensing"]), ("（六）", ["punishment", "enforcement"]), ("（八）", ["fees"])):
        out += ["", f"第二十条第{item}项", "信息内容", "本年收费金额（单位：万元）" if item == "（八）" else "本年处理决定数量"]
        for key in keys:
            out += ["", ACTIVE_LABELS[key], "", cell(next(iter(act[key].values())))]
    labels = [x for key, label, group in ROWS for x in ([group] if group else []) + [label]]
    grid = [list(app[key].values()) for key, _, _ in ROWS]
    numbers: list[str] = []
    if draw(st.booleans()):
        numbers = [cell(grid[r][c]) for c in range(7) for r in range(len(grid))]      # no empty line at all
    else:
        r = 0
        while r < len(grid):
            k = draw(st.integers(1, min(12, len(grid) - r)))
            if k > 1 and draw(st.booleans()):
                for c in range(7):
                    numbers += [""] + [cell(grid[r + j][c]) for j in range(k)]
            else:
                numbers += [x for j in range(k) for v in grid[r + j] for x in ("", cell(v))]
            r += k
    head = ["三、收到和处理政府信息公开申请情况", "申请人情况", "", "法人或其他组织", "自然人", "",
            "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "", "总计", ""]
    out += head + (labels + [""] + numbers if draw(st.booleans()) else numbers + [""] + labels)
    out += ["", "四、政府信息公开行政复议、行政诉讼情况", "行政复议", "", "行政诉讼", "未经复议直接起诉", "",
            "复议后起诉", "", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    flat = [v for b in REVIEW_BLOCKS for v in rev[b].values()]
    how = draw(st.sampled_from(["cells", "columns", "no gaps"]))
    if how == "cells":
        out += [x for v in flat for x in ("", cell(v))]
    elif how == "columns":      # the three blocks as rows of a 3 × 5 grid, printed column by column
        out += [x for c in range(5) for x in [""] + [cell(flat[b * 5 + c]) for b in range(3)]]
    else:
        out += [""] + [cell(flat[b * 5 + c]) for c in range(5) for b in range(3)]
    out += ["", *OUTRO.strip().splitlines()]
    return "\n".join(out) + "\n"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.data())
def test_one_cell_a_line_by_columns_exact_or_left_out(t, data):
    act, app, rev = t
    text = render_cells(data.draw, act, app, rev)
    record = parse_document(text.encode("utf-8"))
    truth = {"active_disclosure": act, "applications": app, "reviews_litigation": rev}
    assert_honest(record, truth)
    assert record["active_disclosure"] == act
    for table in ("applications", "reviews_litigation"):
        # a table is read whole, or left out whole with a warning that says so
        assert record[table] in (None, truth[table]), table
        if record[table] is None:
            assert any(w.startswith(table) and w.endswith("table left out") for w in record["warnings"])


# ------------------------------------------------------------------ (e) the whole report on one line

HEADINGS = {1: ["总体情况", "概述"], 2: ["主动公开政府信息情况", "主动公开情况"],
            3: ["收到和处理政府信息公开申请情况"],
            4: ["政府信息公开行政复议、行政诉讼情况", "政府信息公开行政复议和行政诉讼情况"],
            5: ["存在的主要问题及改进情况", "存在的主要问题及改进措施", "存在问题及改进措施"],
            6: ["其他需要报告的事项"]}
NUMERALS = "一二三四五六"
# text a section holds: sentences, sub-headings in brackets, table 3's own numbered rows, numbers
PIECES = ["本年度认真贯彻落实《条例》。", "（一）主动公开政府信息情况。", "（二）依申请公开情况。", "公开信息1136条，",
          "一、本年新收政府信息公开申请数量2100002", "三、本年度办理结果（一）予以公开0000000",
          "四、结转下年度继续办理0000000", "第二十条第（一）项信息内容", "行政复议结果维持000", "仍存在一定差距。",
          "下一步，将切实抓好以下工作：一是扎实推进依申请公开工作；二是加强培训。", "2023年", "无。", "12"]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_sections_inside_one_line(data):
    draw = data.draw
    joiner = draw(st.sampled_from(["", " ", "。"]))
    heads = [draw(st.sampled_from(HEADINGS[n])) for n in range(1, 7)]
    bodies = [draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("".join)) for _ in range(6)]
    if draw(st.booleans()):
        bodies[0] = bodies[0] + "本报告由办公室编制。" * 20      # long enough to be one line of its own kind
    head = draw(st.sampled_from(["", "首页>政务公开>年报", "2024年05月19日星期日|网站首页"])) + TITLE
    line = joiner.join([head] + [f"{NUMERALS[i]}、{heads[i]}{bodies[i]}" for i in range(6)])
    record = parse_document(line)
    got = [(s["number"], s["heading"], s["template_section"]) for s in record["sections"]]
    assert got == [(i + 1, heads[i], i + 1) for i in range(6)]
    for i, s in enumerate(record["sections"]):
        assert s["text"].strip(joiner or " ") == bodies[i].strip(joiner or " "), (i, s["text"], bodies[i])


# ------------------------------------------------------------------ (f) every blank printed as 无, -, / or ——

def render_flat(act, app, rev, mark) -> str:
    """Flattened text the seed's way: one cell a line, an empty line between cells, each label
    before its numbers; every zero printed as ``mark``."""
    def cell(n):
        return mark if n == 0 else fmt(n)

    out = [TITLE, INTRO.strip(), "二、主动公开政府信息情况", "第二十条第（一）项", "信息内容", "本年制发件数",
           "本年废止件数", "现行有效件数"]
    for key in ("regulations", "normative_documents"):
        out += [ACTIVE_LABELS[key]] + [cell(v) for v in act[key].values()]
    for item, keys in (("（五）", ["licensing"]), ("（六）", ["punishment", "enforcement"]), ("（八）", ["fees"])):
        out += [f"第二十条第{item}项", "信息内容", "本年收费金额（单位：万元）" if item == "（八）" else "本年处理决定数量"]
        for key in keys:
            out += [ACTIVE_LABELS[key], cell(next(iter(act[key].values())))]
    out += ["三、收到和处理政府信息公开申请情况", "申请人情况", "自然人", "法人或其他组织", "商业企业", "科研机构",
            "社会公益组织", "法律服务机构", "其他", "总计"]
    for key, label, group in ROWS:
        out += ([group] if group else []) + [label] + [cell(v) for v in app[key].values()]
    out += ["四、政府信息公开行政复议、行政诉讼情况", "行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果",
            "尚未审结", "总计"] + [cell(v) for b in REVIEW_BLOCKS for v in rev[b].values()]
    return "\n\n".join(out + OUTRO.strip().splitlines()) + "\n"


MARKS = st.sampled_from(["无", "-", "/", "——"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), MARKS)
def test_blank_marks_one_cell_a_line_read_whole(t, mark):
    act, app, rev = t
    record = parse_document(render_flat(act, app, rev, mark).encode("utf-8"))
    truth = {"active_disclosure": act, "applications": app, "reviews_litigation": rev}
    assert assert_honest(record, truth) == sum(len(v) for v in truth.values())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), MARKS)
def test_blank_marks_run_together_rows_with_numbers_kept(t, mark):
    """Run together with every zero printed as the mark: values exact or left out with a warning,
    and, where the mark is one cell each (无, /; a dash may be printed once or twice a cell), a
    row whose numbers the marks keep apart (never two numbers side by side) is read."""
    act, app, rev = t
    text = render_run(lambda strategy: mark, act, app, rev)
    record = parse_document(text.encode("utf-8"))
    truth = {"active_disclosure": act, "applications": app, "reviews_litigation": rev}
    assert_honest(record, truth)
    if mark not in ("无", "/"):
        return
    for key, cells in app.items():
        vals = list(cells.values())
        if not any(vals[i] and vals[i + 1] for i in range(len(vals) - 1)):
            assert (record["applications"] or {}).get(key) == cells, key
    flat = [v for b in REVIEW_BLOCKS for v in rev[b].values()]
    if not any(flat[i] and flat[i + 1] for i in range(len(flat) - 1)):
        assert record["reviews_litigation"] == rev
