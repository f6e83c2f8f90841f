"""The three standard tables: their keys, and row labels matched by meaning.

Labels are matched on their whitespace-free text by short distinctive phrases, so
variants and typos still land on the right key (规范性文件 / 行政规范性文件,
"其他法律行政止公开", "危及“三安全一稳定”" split over lines). The keys are the
project's contract (``tests/fixtures/public/reference/report-template.md``).
"""
from __future__ import annotations

import re

APPLICANT_COLUMNS = ("natural_person", "commercial", "research", "social_welfare",
                     "legal_services", "other_org", "total")

APPLICATION_ROWS = (
    "new_received", "carried_over", "granted", "partially_granted",
    "denied.state_secret", "denied.law_forbidden", "denied.security_stability",
    "denied.third_party", "denied.internal_affairs", "denied.process_info",
    "denied.enforcement_files", "denied.query_matters",
    "unable.not_held", "unable.needs_creation", "unable.unclear",
    "not_handled.complaint", "not_handled.repeated", "not_handled.publication",
    "not_handled.excessive", "not_handled.confirm",
    "other.no_correction", "other.no_fee", "other.misc", "other",
    "total_handled", "carried_forward",
)
# rows whose sum is total_handled
RESULT_ROWS = tuple(r for r in APPLICATION_ROWS
                    if r not in ("new_received", "carried_over", "total_handled", "carried_forward"))

REVIEW_BLOCKS = ("review", "litigation_direct", "litigation_after_review")
REVIEW_COLUMNS = ("upheld", "corrected", "other", "pending", "total")

# table 2: row key -> columns, per template
ACTIVE_2021 = {
    "regulations": ("made", "repealed", "in_force"),
    "normative_documents": ("made", "repealed", "in_force"),
    "licensing": ("decisions",),
    "punishment": ("decisions",),
    "enforcement": ("decisions",),
    "fees": ("amount",),
}
ACTIVE_2019 = {
    "regulations": ("new_made", "new_published", "total_published"),
    "normative_documents": ("new_made", "new_published", "total_published"),
    "licensing": ("previous_items", "change", "decisions"),
    "other_services": ("previous_items", "change", "decisions"),
    "punishment": ("previous_items", "change", "decisions"),
    "enforcement": ("previous_items", "change", "decisions"),
    "fees": ("previous_items", "change"),
    "procurement": ("items", "amount"),
}
MONEY = {("fees", "amount"), ("procurement", "amount")}

# ---------------------------------------------------------------- table 3 labels
# (key, pattern) — the key whose match ends last in a label wins, so a group
# heading followed by a sub-row label resolves to the sub-row.
_APPLICATION_PATTERNS = [
    ("new_received", r"新收|新受理"),
    ("carried_over", r"上年(?:度)?结转|上一年度?结转"),
    ("granted", r"予以公开"),
    ("partially_granted", r"部分公开"),
    ("denied.state_secret", r"国家秘密"),
    ("denied.law_forbidden", r"法律行政|法律、行政|行政法规禁止|禁止公开"),
    ("denied.security_stability", r"三安全|一稳定|危及"),
    ("denied.third_party", r"第三方"),
    ("denied.internal_affairs", r"内部事务"),
    ("denied.process_info", r"过程性"),
    ("denied.enforcement_files", r"执法案卷"),
    ("denied.query_matters", r"查询事项|行政查询"),
    ("unable.not_held", r"不掌握"),
    ("unable.needs_creation", r"另行制作|现成信息"),
    ("unable.unclear", r"不明确"),
    ("not_handled.complaint", r"信访|举报投诉"),
    ("not_handled.repeated", r"重复申请"),
    ("not_handled.publication", r"出版物"),
    ("not_handled.excessive", r"大量反复|反复申请"),
    ("not_handled.confirm", r"重新出具|确认或"),
    ("other.no_correction", r"不补正|逾期不补"),
    ("other.no_fee", r"缴纳费用|收费通知|未按收费"),
    ("other", r"其他处理"),
    ("total_handled", r"总计|合计"),
    ("carried_forward", r"结转下一?年|下年度继续|转下年"),
    # group headings: they end a row without starting one
    (None, r"不予公开|无法提供|不予处理|办理结果|申请人情况"),
]
_APP_KEYS = [k for k, _ in _APPLICATION_PATTERNS]
_APP_RE = re.compile("|".join(f"(?P<g{i}>{p})" for i, (_, p) in enumerate(_APPLICATION_PATTERNS)))
LABEL_WINDOW = 80   # labels are matched in the last this-many characters of text


def _latest(rx: re.Pattern, keys: list, label: str) -> tuple[int, object]:
    """(end, key) of the match that ends last; -1 when nothing matches."""
    best_end, best = -1, None
    for m in rx.finditer(label):
        key = keys[int(m.lastgroup[1:])]
        if m.end() > best_end or (m.end() == best_end and key is not None):
            best_end, best = m.end(), key
    return best_end, best
_BARE_OTHER = re.compile(r"^[(（]?\d*[)）]?[.、．]?其他$")


def match_application_row(label: str, *, started: bool, in_other_group: bool) -> tuple[bool, str | None]:
    """Which table-3 row a label (text since the last value) names.

    Returns (matched, key): key None with matched True is a group heading. The
    column headers 总计 and 其他 only count once the rows have started.
    """
    label = label[-LABEL_WINDOW:]
    best_end, best = _latest(_APP_RE, _APP_KEYS, label)
    if best == "total_handled" and not started:
        return False, None
    tail = re.split(r"[)）]", label)[-1] if label else label
    if in_other_group and (_BARE_OTHER.match(label) or _BARE_OTHER.match(tail) or label.endswith("其他")):
        if best_end < len(label) - 2 or best in (None, "other"):
            return True, "other.misc"
    if best_end < 0:
        return False, None
    return True, best


# ---------------------------------------------------------------- table 2 labels
_ACTIVE_PATTERNS = [
    ("regulations", r"规章"),
    ("normative_documents", r"规范性文件"),
    ("licensing", r"行政许可"),
    ("other_services", r"其他对外管理服务事项|其他对外管理|对外管理服务"),
    ("punishment", r"行政处罚"),
    ("enforcement", r"行政强制"),
    ("fees", r"事业性收费|行政事业"),
    ("procurement", r"政府集中采购|集中采购"),
]
_ACTIVE_KEYS = [k for k, _ in _ACTIVE_PATTERNS]
_ACTIVE_RE = re.compile("|".join(f"(?P<g{i}>{p})" for i, (_, p) in enumerate(_ACTIVE_PATTERNS)))


def match_active_row(label: str) -> str | None:
    """The table-2 row a label names (the latest match in the label wins)."""
    return _latest(_ACTIVE_RE, _ACTIVE_KEYS, label[-LABEL_WINDOW:])[1]


TEMPLATE_2019_MARKS = re.compile(r"新制作数量|新公开数量|对外公开总数量|上一年项目数量|本年增|采购项目数量|采购总金额|集中采购")
TEMPLATE_2021_MARKS = re.compile(r"制发件数|废止件数|现行有效件数|收费金额")
