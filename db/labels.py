"""The Chinese and English labels of the three tables' keys (the ``labels`` table).

The keys are the project's contract (``reference/report-template.md``, ``pipelines.labels``);
the Chinese is the national template's wording (国办公开办函〔2021〕30号, and the 2019 template
for the keys only it has). Views, canned queries and the report page (db/report_page.py) read
the ``labels`` table, written from :data:`LABELS` by the ``labels`` migration (issue 15).
"""
from __future__ import annotations

from pipelines.labels import (ACTIVE_2019, ACTIVE_2021, APPLICANT_COLUMNS, APPLICATION_ROWS,
                              REVIEW_BLOCKS, REVIEW_COLUMNS)

TABLE_TITLES = {
    "active_disclosure": ("表二 主动公开政府信息情况", "Table 2: information disclosed proactively"),
    "applications": ("表三 收到和处理政府信息公开申请情况", "Table 3: disclosure requests received and handled"),
    "reviews_litigation": ("表四 政府信息公开行政复议、行政诉讼情况",
                           "Table 4: administrative reviews and lawsuits"),
}

# (table_name, kind, key, 中文, English)
_APPLICATION_ROWS = {
    "new_received": ("一、本年新收政府信息公开申请数量", "new requests received this year"),
    "carried_over": ("二、上年结转政府信息公开申请数量", "carried over from last year"),
    "granted": ("三、（一）予以公开", "granted"),
    "partially_granted": ("（二）部分公开", "partially granted"),
    "denied.state_secret": ("（三）不予公开 1.属于国家秘密", "denied: state secret"),
    "denied.law_forbidden": ("2.其他法律行政法规禁止公开", "denied: forbidden by other laws"),
    "denied.security_stability": ("3.危及“三安全一稳定”", "denied: security and stability"),
    "denied.third_party": ("4.保护第三方合法权益", "denied: third-party rights"),
    "denied.internal_affairs": ("5.属于三类内部事务信息", "denied: internal affairs"),
    "denied.process_info": ("6.属于四类过程性信息", "denied: process information"),
    "denied.enforcement_files": ("7.属于行政执法案卷", "denied: enforcement files"),
    "denied.query_matters": ("8.属于行政查询事项", "denied: administrative query matters"),
    "unable.not_held": ("（四）无法提供 1.本机关不掌握相关政府信息", "unable: not held"),
    "unable.needs_creation": ("2.没有现成信息需要另行制作", "unable: would need creating"),
    "unable.unclear": ("3.补正后申请内容仍不明确", "unable: unclear after correction"),
    "not_handled.complaint": ("（五）不予处理 1.信访举报投诉类申请", "not handled: petitions, complaints"),
    "not_handled.repeated": ("2.重复申请", "not handled: repeated"),
    "not_handled.publication": ("3.要求提供公开出版物", "not handled: publications"),
    "not_handled.excessive": ("4.无正当理由大量反复申请", "not handled: excessive"),
    "not_handled.confirm": ("5.要求行政机关确认或重新出具已获取信息", "not handled: confirmation requests"),
    "other.no_correction": ("（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                            "other: no correction in time"),
    "other.no_fee": ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                     "other: fee not paid"),
    "other.misc": ("3.其他", "other: miscellaneous"),
    "other": ("（六）其他处理", "other handling (2019 template)"),
    "total_handled": ("（七）总计", "total handled"),
    "carried_forward": ("四、结转下年度继续办理", "carried forward to next year"),
}
_APPLICANT_COLUMNS = {
    "natural_person": ("自然人", "natural persons"),
    "commercial": ("商业企业", "businesses"),
    "research": ("科研机构", "research institutions"),
    "social_welfare": ("社会公益组织", "public-interest organisations"),
    "legal_services": ("法律服务机构", "legal services"),
    "other_org": ("其他", "other organisations"),
    "total": ("总计", "total"),
}
_REVIEW_BLOCKS = {
    "review": ("行政复议", "administrative review"),
    "litigation_direct": ("行政诉讼 未经复议直接起诉", "lawsuit, filed directly"),
    "litigation_after_review": ("行政诉讼 复议后起诉", "lawsuit after review"),
}
_REVIEW_COLUMNS = {
    "upheld": ("结果维持", "upheld"),
    "corrected": ("结果纠正", "corrected"),
    "other": ("其他结果", "other result"),
    "pending": ("尚未审结", "pending"),
    "total": ("总计", "total"),
}
_ACTIVE_ROWS = {
    "regulations": ("规章", "regulations"),
    "normative_documents": ("行政规范性文件", "normative documents"),
    "licensing": ("行政许可", "administrative licensing"),
    "other_services": ("其他对外管理服务事项", "other external management services"),
    "punishment": ("行政处罚", "administrative penalties"),
    "enforcement": ("行政强制", "administrative enforcement"),
    "fees": ("行政事业性收费", "administrative fees"),
    "procurement": ("政府集中采购", "government procurement"),
}
_ACTIVE_COLUMNS = {
    "made": ("本年制发件数", "issued this year"),
    "repealed": ("本年废止件数", "repealed this year"),
    "in_force": ("现行有效件数", "in force"),
    "decisions": ("本年处理决定数量", "decisions this year"),
    "amount": ("金额（万元）", "amount (10,000 yuan)"),
    "new_made": ("本年新制作数量", "newly made this year"),
    "new_published": ("本年新公开数量", "newly published this year"),
    "total_published": ("对外公开总数量", "published in total"),
    "previous_items": ("上一年项目数量", "items last year"),
    "change": ("本年增/减", "change this year"),
    "items": ("采购项目数量", "procurement items"),
}

LABELS: list[tuple[str, str, str, str, str]] = (
    [("applications", "row", k, *_APPLICATION_ROWS[k]) for k in APPLICATION_ROWS]
    + [("applications", "col", k, *_APPLICANT_COLUMNS[k]) for k in APPLICANT_COLUMNS]
    + [("reviews_litigation", "row", k, *_REVIEW_BLOCKS[k]) for k in REVIEW_BLOCKS]
    + [("reviews_litigation", "col", k, *_REVIEW_COLUMNS[k]) for k in REVIEW_COLUMNS]
    + [("active_disclosure", "row", k, *v) for k, v in _ACTIVE_ROWS.items()]
    + [("active_disclosure", "col", k, *v) for k, v in _ACTIVE_COLUMNS.items()]
)

# Table 2 as the national templates lay it out: (article, rows, column headers)
ACTIVE_LAYOUT = {
    "2021": [
        ("第二十条第（一）项", ["regulations", "normative_documents"], ACTIVE_2021["regulations"]),
        ("第二十条第（五）项", ["licensing"], ACTIVE_2021["licensing"]),
        ("第二十条第（六）项", ["punishment", "enforcement"], ACTIVE_2021["punishment"]),
        ("第二十条第（八）项", ["fees"], ACTIVE_2021["fees"]),
    ],
    "2019": [
        ("第二十条第（一）项", ["regulations", "normative_documents"], ACTIVE_2019["regulations"]),
        ("第二十条第（五）项", ["licensing", "other_services"], ACTIVE_2019["licensing"]),
        ("第二十条第（六）项", ["punishment", "enforcement"], ACTIVE_2019["punishment"]),
        ("第二十条第（八）项", ["fees"], ACTIVE_2019["fees"]),
        ("第二十条第（九）项", ["procurement"], ACTIVE_2019["procurement"]),
    ],
}

#: what each parser check states, in words (名称 → (中文, English))
CHECK_WORDS = {
    "applications_balance": ("表三：新收 + 上年结转 = 总计 + 结转下年度（每列）",
                             "Table 3: new + carried over = handled + carried forward, per column"),
    "applications_total_column": ("表三：总计列 = 六类申请人之和",
                                  "Table 3: the total column is the sum of the six applicant columns"),
    "applications_total_handled": ("表三：（七）总计 = 各处理结果之和",
                                   "Table 3: total handled is the sum of the result rows"),
    "review_total": ("表四：行政复议 总计 = 维持 + 纠正 + 其他 + 尚未审结",
                     "Table 4: review total = upheld + corrected + other + pending"),
    "litigation_direct_total": ("表四：直接起诉 总计 = 维持 + 纠正 + 其他 + 尚未审结",
                                "Table 4: direct lawsuits total = upheld + corrected + other + pending"),
    "litigation_after_review_total": ("表四：复议后起诉 总计 = 维持 + 纠正 + 其他 + 尚未审结",
                                      "Table 4: lawsuits after review total = upheld + corrected + other + pending"),
    "copies_agree": ("页面与附件中的数字一致", "the page and its attached file give the same numbers"),
    "crossyear_carried_over": ("跨年度：本年“上年结转” = 上一年度“结转下年度”", "carried over = last year's carried forward"),
    "crossyear_in_force_regulations": ("跨年度：上年现行有效规章 + 本年制发 − 本年废止 = 本年现行有效",
                                       "regulations in force: last year's + made − repealed = this year's"),
    "crossyear_in_force_normative": ("跨年度：上年现行有效行政规范性文件 + 本年制发 − 本年废止 = 本年现行有效",
                                     "normative documents in force: last year's + made − repealed = this year's"),
    "crossyear_text_reuse": ("跨年度：正文与上一年度报告雷同", "sections repeat last year's report"),
}
for _metric, _zh in (("applications", "申请数量"), ("licensing", "行政许可"), ("punishment", "行政处罚"),
                     ("reviews", "行政复议"), ("litigation", "行政诉讼")):
    CHECK_WORDS[f"crossyear_jump_{_metric}"] = (f"跨年度：{_zh}与上一年度相比变化异常（超过设定倍数）",
                                               f"{_metric}: jumped or fell by more than the set factor since last year")

STATUS_WORDS = {"pass": "通过 pass", "fail": "不符 fail", "warn": "存疑 warn",
                "not_assessable": "无法核对 not assessable"}


def label_map(rows) -> dict[tuple[str, str, str], tuple[str, str]]:
    """{(table_name, kind, key): (zh, en)} from rows of the ``labels`` table (or LABELS)."""
    return {(t, k, key): (zh, en) for t, k, key, zh, en in rows}


def create_table(db) -> None:
    """(Re)write the ``labels`` table from :data:`LABELS` (``position``: the template's order)."""
    db.execute("""CREATE TABLE IF NOT EXISTS labels (
        table_name TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
        zh TEXT NOT NULL, en TEXT NOT NULL, position INTEGER, PRIMARY KEY (table_name, kind, key))""")
    db.execute("DELETE FROM labels")
    db.conn.executemany("INSERT INTO labels VALUES (?, ?, ?, ?, ?, ?)",
                        [(*row, i) for i, row in enumerate(LABELS)])
    create_views(db)


# Tables 2-4 as people read them: one row per report and template row, one column per
# template column, named in Chinese (the wide views have one column per cell instead)
def _pivot(name: str, table: str, cols: list[tuple[str, str]]) -> str:
    picks = ",\n  ".join(f"max(CASE WHEN c.col_key = '{k}' THEN c.value END) AS [{zh}]" for k, zh in cols)
    return f"""CREATE VIEW {name} AS
SELECT r.id AS report_id, ag.name AS agency, r.region_name, r.level, r.report_year,
  l.zh AS 项目, c.row_key, l.position AS row_order,
  {picks}
FROM reports r
JOIN cells c ON c.version_id = r.version_id AND c.table_name = '{table}'
LEFT JOIN agencies ag ON ag.id = r.agency_id
LEFT JOIN labels l ON l.table_name = '{table}' AND l.kind = 'row' AND l.key = c.row_key
GROUP BY r.id, c.row_key"""


PIVOTS = {
    "applications_by_row": ("applications", [(k, _APPLICANT_COLUMNS[k][0]) for k in APPLICANT_COLUMNS]),
    "reviews_by_block": ("reviews_litigation", [(k, _REVIEW_COLUMNS[k][0]) for k in REVIEW_COLUMNS]),
    "active_disclosure_by_row": ("active_disclosure", [(k, v[0]) for k, v in _ACTIVE_COLUMNS.items()]),
}


def create_views(db) -> None:
    for name, (table, cols) in PIVOTS.items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(_pivot(name, table, cols))
