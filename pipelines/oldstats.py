"""The pre-2019 statistics table (政府信息公开情况统计表): ``old_statistics``.

Reports for 2008–2018 append a table of indicators instead of the 2019/2021 template's
three tables: 指标名称 | 计量单位 | 本年度 (or 统计数, 本年发生数, 18年发生数) | 历年累计 (or
累计数), one indicator a row (主动公开政府信息数 条, 收到申请数 件, 依申请公开信息收取的费用
万元 …), in sections 一、主动公开情况 … 九、会议和培训情况; provinces print their own variants
(吉林: a group column 人员配置 / 公开数量 …, no unit column). It is found by its header, not by
where it sits, and read as

* ``old_statistics``       {row_key: {"this_year": n, "cumulative": n}} — a column the table
  does not have, or a cell left empty or printed 不填, is absent (not 0: these tables leave
  rows that do not apply unfilled);
* ``old_statistics_units`` {row_key: unit as printed} (条, 件, 次, 万元 …);

row_key is the indicator's English key in :data:`KNOWN` when the label is one of the
national table's (or a known variant), else the label itself with its numbering, 其中：
and ★ marks removed; a label met twice is prefixed with its section (行政诉讼数量.维持…).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .document import Line, tight
from .values import parse_value

#: row key -> the labels it is printed as (matched on the label without spaces, numbering, notes)
KNOWN = [
    ("active_disclosed", r"^主动公开政府信息(?:总)?数|^公开信息总数|^主动公开信息(?:总)?数"),
    ("active_normative", r"^主动公开规范性文件数"),
    ("normative_made", r"^制发规范性文件总数"),
    ("via_gazette", r"政府公报公开政府信息数"),
    ("via_website", r"政府网站公开政府信息数"),
    ("via_weibo", r"政务微博公开政府信息数"),
    ("via_wechat", r"政务微信公开政府信息数"),
    ("via_other", r"^其他方式公开政府信息数"),
    ("responses", r"回应公众关注热点或重大舆情数"),
    ("press_conferences", r"^参加或举办新闻发布会总?次数|^新闻发布会召开次数"),
    ("online_interviews", r"^政府网站在线访谈次数"),
    ("interpretations", r"^政策解读稿件发布数"),
    ("applications_received", r"^收到申请数|^政府信息公开申请(?:总)?数|^申请总数|^受理申请(?:总)?数"),
    ("applications_in_person", r"^当面申请数"),
    ("applications_fax", r"^传真申请数"),
    ("applications_online", r"^(?:网络|网上)申请数"),
    ("applications_letter", r"^信函申请数"),
    ("applications_closed", r"^申请办结数"),
    ("applications_answered", r"^申请答复数|^对申请的答复数"),
    ("answered_already_public", r"^属于已主动公开范围数"),
    ("granted", r"^同意公开答复数"),
    ("partially_granted", r"^同意部分公开答复数"),
    ("denied", r"^不同意公开答复数|^否决公开答复数"),
    ("not_this_agency", r"^不属于本行政机关公开数"),
    ("not_exist", r"^申请信息不存在数|^信息不存在数"),
    ("reviews", r"^行政复议数量|行政复议申请数"),
    ("litigation", r"^行政诉讼数量|行政诉讼案件数"),
    ("complaints", r"^举报投诉数量"),
    ("fees", r"^依申请公开信息收取的费用|^与信息公开相关的收费金额"),
    ("offices", r"^政府信息公开工作专门机构数"),
    ("reading_points", r"^设置政府信息公开查阅点数"),
    ("staff", r"^从事(?:政府)?信息公开工作人员数"),
    ("staff_full_time", r"^专职人员数"),
    ("staff_part_time", r"^兼职人员数"),
    ("budget", r"^政府信息公开专项经费"),
    ("meetings", r"^召开政府信息公开工作会议或专题会议数"),
    ("trainings", r"^举办各类培训班数|^举办培训次数"),
    ("trainees", r"^接受培训人员数|^参加培训人次数"),
]
_KNOWN = [(k, re.compile(p)) for k, p in KNOWN]

COLUMNS = ("this_year", "cumulative")
UNITS = ("万元", "人次", "条", "件", "次", "个", "人", "篇", "期", "份", "场", "项", "天", "家", "元", "小时", "%")
_UNIT = re.compile(r"^(?:" + "|".join(UNITS) + r")$")
_THIS_YEAR = re.compile(r"^(?:本年度?|统计数|本年(?:度)?(?:发生)?数|当年(?:发生)?数?|数量|"
                        r"(?:19|20)?\d{2}年(?:度)?(?:发生数|数)?)$")
_CUMULATIVE = re.compile(r"^(?:历年累计(?:数)?|累计(?:数)?|累计总数)$")
_LABEL_HEAD = re.compile(r"^(?:指标名称|指标|项目|统计指标|项目名称)$")
_UNIT_HEAD = re.compile(r"^(?:计量单位|单位)$")
# numbering and marks around a label: "4.", "（一）", "1)", "⑴", "①", "Ⅰ", "其中：", "★"
_NUMBERING = re.compile(r"^(?:其中[:：]?|[(（]?[一二三四五六七八九十\d]{1,3}[)）.、．]|[⑴-⒇①-⑳Ⅰ-Ⅻ]|\d{1,2}\s*(?=[^\d.]))+")
_NOTE = re.compile(r"[(（][^()（）]*[)）]|★|☆|\*")
_SECTION = re.compile(r"^[一二三四五六七八九十]{1,2}[、.．]")


@dataclass
class OldStats:
    values: dict = field(default_factory=dict)    # row_key -> {col: number}
    raw: dict = field(default_factory=dict)       # row_key -> {col: cell as printed}
    units: dict = field(default_factory=dict)     # row_key -> unit
    labels: dict = field(default_factory=dict)    # row_key -> label as printed
    warnings: list = field(default_factory=list)
    spans: list = field(default_factory=list)     # (first, last + 1): the lines each table covers
    last: int = -1                                # index of the last row line read


def table_lines(lines: list[Line]) -> set[int]:
    """Indexes of the lines inside a statistics table, its header through its last row:
    its group rows (一、主动公开情况 …) are rows of the table, not the report's sections."""
    stats = read_old_statistics(lines)
    return {j for a, b in stats.spans for j in range(a, b)} if stats is not None else set()


def _columns(cells: list[str]) -> dict[int, str] | None:
    """Cell index -> role (label / unit / this_year / cumulative) of a header row, or None."""
    roles: dict[int, str] = {}
    for i, text in enumerate(cells):
        t = tight(text)
        if _LABEL_HEAD.match(t):
            roles[i] = "label"
        elif _UNIT_HEAD.match(t):
            roles[i] = "unit"
        elif _CUMULATIVE.match(t):
            roles[i] = "cumulative"
        elif _THIS_YEAR.match(t):
            roles[i] = "this_year"
    has_label = "label" in roles.values()
    values = [r for r in roles.values() if r in COLUMNS]
    if not has_label or not values or len(values) != len(set(values)):
        return None
    return roles


def is_header(line: Line) -> bool:
    return _columns([c.text for c in line.cells]) is not None


def label_key(label: str) -> str:
    """The label as a row key: numbering, 其中：, notes in brackets and ★ removed."""
    t = _NOTE.sub("", tight(label))
    t = _NUMBERING.sub("", t)
    return t.strip(":：、.．") or tight(label)


def _known(key_label: str) -> str | None:
    for key, rx in _KNOWN:
        if rx.search(key_label):
            return key
    return None


def read_old_statistics(lines: list[Line]) -> OldStats | None:
    """The statistics table(s) in these lines, or None when there is none."""
    out = OldStats()
    found = False
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        text = line.text
        cells = line.cells
        # a header has a 指标/项目 cell; flattened, that cell alone on its line: nothing else starts one
        if ("指" not in text and "项" not in text) or (len(cells) == 1 and len(text) > 16):
            i += 1
            continue
        roles = _columns([c.text for c in cells]) if len(cells) >= 2 and any(
            "指" in c.text or "项目" in c.text for c in cells) else None
        if roles is None:
            if len(cells) == 1 and line.table is None and _LABEL_HEAD.match(tight(cells[0].text)):
                flat = _flat_header(lines, i)
                if flat is not None:
                    found = True
                    out.last = i
                    head, i = i, _read_flat_rows(lines, i + len(flat), flat, out)
                    out.spans.append((head, out.last + 1))
                    continue
            i += 1
            continue
        found = True
        out.last = i
        head, i = i, _read_rows(lines, i, roles, out)
        out.spans.append((head, out.last + 1))
    return out if found else None


def _flat_header(lines: list[Line], i: int) -> list[str] | None:
    """Flattened text (one cell a line): the header's cells on consecutive lines."""
    texts = []
    for line in lines[i:i + 5]:
        if len(line.cells) != 1:
            break
        texts.append(line.cells[0].text)
        roles = _columns(texts)
        if roles is not None and len(roles) == len(texts):
            nxt = lines[i + len(texts)] if i + len(texts) < len(lines) else None
            more = nxt is not None and len(nxt.cells) == 1 and _columns(texts + [nxt.cells[0].text]) is not None \
                and len(_columns(texts + [nxt.cells[0].text])) == len(texts) + 1
            if not more:
                return [roles[k] for k in range(len(texts))]
    return None


def _read_flat_rows(lines: list[Line], i: int, roles: list[str], out: OldStats) -> int:
    """Rows of a flattened table: a label line, a unit line when the table has a unit column,
    then one line per value column. A row whose numbers do not fill its columns is left out."""
    cols = [r for r in roles if r in COLUMNS]
    has_unit = "unit" in roles
    section = ""
    misses = 0
    n = len(lines)
    while i < n and misses < 3:
        text = lines[i].text.strip()
        if parse_value(text) is not None or lines[i].table is not None:
            misses += 1
            i += 1
            continue
        label = text
        j = i + 1
        unit = None
        if has_unit and j < n and _UNIT.match(tight(lines[j].text)):
            unit = tight(lines[j].text)
            j += 1
        got = []
        while j < n and len(got) < len(cols) and parse_value(lines[j].text.strip()) is not None:
            got.append(lines[j].text.strip())
            j += 1
        if not got:
            if unit is None and _SECTION.match(tight(label)):
                section = label_key(label)
            elif unit is None and len(label) > 60:
                misses += 1
            i = j
            continue
        misses = 0
        out.last = j - 1
        if len(got) != len(cols):
            out.warnings.append(f"old_statistics: row {label[:30]!r} has {len(got)} of {len(cols)} numbers; left out")
            i = j
            continue
        numbers, raw = {}, {}
        for col, t in zip(cols, got):
            v = parse_value(t)
            if v is not None and v.number is not None:
                numbers[col] = v.number
                raw[col] = t
        if numbers:
            key = _row_key(label, section, out)
            out.values[key], out.raw[key], out.labels[key] = numbers, raw, label
            if unit:
                out.units[key] = unit
        i = j
    return i


def _read_rows(lines: list[Line], h: int, roles: dict[int, str], out: OldStats) -> int:
    header = lines[h]
    grid = header.table is not None
    value_idx = [i for i, r in roles.items() if r in COLUMNS]
    unit_idx = next((i for i, r in roles.items() if r == "unit"), None)
    header_cols = {roles[i]: header.cells[i].col for i in value_idx}
    section = ""
    quiet = 0
    i = h + 1
    while i < len(lines):
        line = lines[i]
        if grid and line.table != header.table:
            break
        if not grid and (line.table is not None or quiet >= 6):
            break
        cells = [c.text for c in line.cells]
        if _columns(cells) is not None:        # the header repeated (a table per section, a new page)
            i += 1
            continue
        if grid:
            # every cell left of the numbers but the unit: a group cell (rowspan copies too), the label
            labels = [c.text for j, c in enumerate(line.cells) if j < min(value_idx) and j != unit_idx]
            labels = list(dict.fromkeys(t for t in labels if t and parse_value(t) is None))
            unit = cells[unit_idx].strip() if unit_idx is not None and unit_idx < len(cells) else None
            got = {roles[j]: line.cells[j].text for j in value_idx if j < len(line.cells)}
        else:
            labels, unit, got = _text_row(line, roles, header_cols)
            if got is None:
                out.warnings.append(f"old_statistics: row {' '.join(cells)[:40]!r} has numbers that fit no column; "
                                    "left out")
                out.last = i
                i += 1
                continue
        if not labels:
            i += 1
            quiet += 1
            continue
        label = labels[-1]
        if _SECTION.match(tight(label)) and not any(parse_value(v) and parse_value(v).number is not None
                                                    for v in got.values()):
            section = label_key(label)
        numbers = {}
        raw = {}
        for col, text in got.items():
            v = parse_value(text)
            if v is None or v.number is None:
                continue
            numbers[col] = v.number
            raw[col] = text
        if not numbers:
            quiet += 1
            i += 1
            continue
        quiet = 0
        out.last = i
        if len(labels) > 1 and not section:
            section = label_key(labels[0])
        key = _row_key(label, labels[0] if len(labels) > 1 else section, out)
        out.values[key] = numbers
        out.raw[key] = raw
        out.labels[key] = label
        if not unit:
            m = re.search(r"[(（](" + "|".join(UNITS) + r")[)）]$", tight(label))
            unit = m.group(1) if m else None
        if unit and _UNIT.match(tight(unit)):
            out.units[key] = tight(unit)
        i += 1
    return i


def _row_key(label: str, group: str, out: OldStats) -> str:
    base = label_key(label)
    key = _known(base)
    if key and key not in out.values:
        return key
    key = base
    if key in out.values and group:
        key = f"{label_key(group)}.{base}"
    n = 2
    while key in out.values:
        key = f"{base}#{n}"
        n += 1
    return key


def _text_row(line: Line, roles: dict[int, str], header_cols: dict[str, int]):
    """(labels, unit, {col: text}) of a text line: words, then a unit word, then numbers.

    As many numbers as value columns fill them in order; fewer are placed by their
    character column against the header's (layout text); otherwise ``got`` is None.
    """
    words, unit, nums = [], None, []
    for c in line.cells:
        for piece in c.text.split() or [c.text]:
            v = parse_value(piece)
            if v is not None and not (v.blank and not nums and not unit and piece in ("-", "—")):
                nums.append((piece, c.col))
            elif _UNIT.match(piece) and not nums:
                unit = piece
            else:
                if nums:
                    return [], None, {}
                words.append(piece)
    labels = [" ".join(words)] if words else []
    cols = [r for r in COLUMNS if r in header_cols]
    if not nums:
        return labels, unit, {}
    if len(nums) == len(cols):
        return labels, unit, {col: text for col, (text, _) in zip(cols, nums)}
    if len(nums) < len(cols) and all(header_cols.values()):
        got = {}
        for text, col in nums:
            best = min(cols, key=lambda r: abs(header_cols[r] - col))
            if best in got:
                return labels, unit, None
            got[best] = text
        return labels, unit, got
    return labels, unit, None
