"""The numbered sections (一、总体情况 … 六、其他需要报告的事项).

A heading is a line that starts with a Chinese numeral and 、 (or . ，), outside a
table, whose number continues the sequence — or that names one of the template's
six sections by meaning, whatever its number: a report may put its own sections
first (一、总体情况 二、工作机制保障) and number the template's again from 一
(一、主动公开政府信息情况). Every heading is kept, with its printed ``number`` and the
template section it means (``template_section``, None for a section of its own).
Table 3's own row labels (一、本年新收… 四、结转下年度继续办理) look like headings and
are told apart by their words and by the numbers that follow them on the line; so are
the group rows of a pre-2019 statistics table (一、主动公开情况 …), by lying inside it.

A text dump with the whole report on one line (every line break lost) has its headings
inside the line: there a heading is one of the template's own headings (KNOWN_HEADING)
after its numeral and 、, in the same numbering sequence; each section's text is cut at
the next heading, and ``offset`` says where in its line the heading begins.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .document import Line, tight
from .oldstats import table_lines
from .values import parse_value

NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_HEADING = re.compile(r"^\s*(?:第)?([一二三四五六七八九十]{1,2})(?:部分)?\s*[、.．,，]\s*(.*)$")
_NOT_HEADING = re.compile(r"^(?:本年新收|本年度?新收|上年结转|上一年度?结转|本年度?办理结果|结转下|办理结果)")
# what the 2019/2021 template calls each section: used to prefer the real heading
CANONICAL = {
    1: re.compile(r"总体情况|概述|概况"),
    2: re.compile(r"主动公开"),
    3: re.compile(r"申请"),
    4: re.compile(r"复议|诉讼"),
    5: re.compile(r"问题|改进|不足"),
    6: re.compile(r"其他|事项"),
}
_HEADING_END = re.compile(r"[。：:；;]|\s")
# the template's headings and their common variants: a heading run into its text is cut after one
KNOWN_HEADING = re.compile(
    r"^(?:总体情况|概述|概况|主动公开政府信息情况|主动公开情况|收到和处理政府信息公开申请情况|"
    r"政府信息公开行政复议、?行政诉讼情况|政府信息公开行政复议和行政诉讼情况|"
    r"存在的主要问题及改进情况|存在的主要问题及改进措施|存在问题及改进措施|存在问题及改进情况|"
    r"其他需要报告的事项)")
# the same headings inside a long line: a numeral not in brackets (（一）) nor part of another
# numeral or of 第…条, then 、 — the text before may be anything (…收费0三、收到和处理…)
_KNOWN_AT = re.compile(KNOWN_HEADING.pattern[1:])      # KNOWN_HEADING where a match starts (no ^)
# (its numeral not in brackets (（一）), nor part of another numeral or of 第…条)
_NOT_BEFORE_HEADING = frozenset("（(〔[第一二三四五六七八九十")
INLINE_MIN = 500    # lines shorter than this hold a paragraph or two, not a run of sections
# page furniture run into the last section of a one-line dump (on separate lines it is cut
# off as the body's footer)
_INLINE_FURNITURE = re.compile(r"打印本页|【打印|【关闭|关闭窗口|分享到[:：]|相关链接|相关文章|上一篇[:：]|下一篇[:：]|"
                               r"主办单位[:：]|承办单位[:：]|版权所有|Copyright|网站地图|网站标识码|返回顶部|"
                               r"[\u4e00-\u9fff]ICP备|公网安备")


@dataclass
class Section:
    number: int
    heading: str
    line: int          # index of the heading line in the stream
    rest: str = ""     # text after the heading on its own line
    text: str = ""
    template: int | None = None   # which of the template's six sections it is, by meaning
    offset: int = 0    # where in its line the heading begins (a heading inside a long line)
    rest_at: int = 0   # where in its line ``rest`` begins

    def as_dict(self) -> dict:
        return {"number": self.number, "heading": self.heading, "template_section": self.template,
                "text": self.text}


# the template's section a heading means, tried in this order (复议 before 申请: "依申请" is no review)
_MEANING = [
    (4, re.compile(r"复议|诉讼")),
    (3, re.compile(r"收到和处理|申请")),
    (2, re.compile(r"主动公开")),
    (5, re.compile(r"问题|改进|不足")),
    (6, re.compile(r"其他需要报告|其他事项|需要报告|其他")),
    (1, re.compile(r"总体情况|概述|概况|基本情况|^总体")),
]


def template_section(heading: str) -> int | None:
    """The template section (1-6) a heading names by meaning, None for a section of its own."""
    compact = tight(heading)
    for n, rx in _MEANING:
        if rx.search(compact):
            return n
    return None


def _numeral(s: str) -> int | None:
    if s in NUMERALS:
        return NUMERALS[s]
    if len(s) == 2 and s[0] == "十" and s[1] in NUMERALS:
        return 10 + NUMERALS[s[1]]
    return None


def _candidate(line: Line, text: str) -> tuple[int, int, str, int, str] | None:
    """The heading a line starts with: (0, number, heading, where its rest begins, the rest)."""
    m = _HEADING.match(text)
    if not m:
        return None
    n = _numeral(m.group(1))
    body = m.group(2).strip()
    if n is None or not body:
        return None
    compact = tight(body)
    if _NOT_HEADING.match(compact):
        return None
    # a table row: the label followed by several numbers on the same line
    if sum(1 for c in line.cells[1:] if parse_value(c.text) is not None) >= 3:
        return None
    known = KNOWN_HEADING.match(body)
    cut = _HEADING_END.search(body)
    if known and (cut is None or cut.start() > known.end()):
        heading, rest = known.group(0), body[known.end():]
    else:
        heading = body[:cut.start()] if cut else body
        rest = body[cut.start():] if cut else ""
        if len(heading) > 30:
            heading = re.split(r"[，,]", heading, maxsplit=1)[0]
            rest = body[len(heading):]
    rest = rest.lstrip("。：:；;，, ")
    heading = heading.strip(" ，,")
    if len(heading) > 40 or not heading:
        return None
    return 0, n, heading, len(text) - len(rest), rest


def _inline_candidates(text: str) -> list[tuple[int, int, str, int, None]]:
    """(offset, number, heading, rest_at, None) of the template's headings inside a long line:
    a numeral, 、, one of KNOWN_HEADING (a space allowed either side of 、). Found by
    ``str.find`` on 、 — a regex over every position of a long CJK line costs more."""
    out = []
    size = len(text)
    i = text.find("、", 1)
    while i != -1:
        j = i - 1 if text[i - 1] != " " else i - 2
        if j >= 0 and text[j] in NUMERALS:
            start = j - 1 if j >= 1 and text[j - 1] in NUMERALS else j
            n = _numeral(text[start:j + 1])
            after = i + 1 if i + 1 < size and text[i + 1] != " " else i + 2
            if n is not None and start > 0 and text[start - 1] not in _NOT_BEFORE_HEADING:
                known = _KNOWN_AT.match(text, after)
                if known is not None:
                    rest_at = known.end()
                    while rest_at < size and text[rest_at] in "。：:；;，, ":
                        rest_at += 1
                    out.append((start, n, known.group(0), rest_at, None))
        i = text.find("、", i + 1)
    return out


def find_sections(lines: list[Line]) -> list[Section]:
    """Top-level sections in order, each with its text up to the next heading.

    A heading continues the numbering (一 then 二 …), or jumps ahead to the template
    section its number stands for, or starts the numbering again at 一 with one of
    the template's own headings (KNOWN_HEADING) not met yet.
    """
    found: list[Section] = []
    expected = 1
    restarted: set[int] = set()
    in_stats = table_lines(lines)
    # a page of a few lines may be a short report run into one line
    inline_min = INLINE_MIN if len(lines) > 3 else 12
    for i, line in enumerate(lines):
        if i in in_stats:
            continue
        if line.table is not None and len({c.text for c in line.cells}) > 1:
            continue     # a table row (one text across the table is a heading in a grid)
        text = line.text
        cand = _candidate(line, text)
        inline = len(text) > inline_min
        if inline:
            # a long line may hold headings inside it (a whole report on one line)
            cands = _inline_candidates(text)
            if cand is not None:
                cands.insert(0, cand)
            if not cands:
                continue
        elif cand is None:
            continue
        else:
            cands = (cand,)
        first_here = len(found)
        for offset, n, heading, rest_at, rest in cands:
            meaning = template_section(heading)
            accept = n == expected or (n == 1 and not found) \
                or (found and n > expected and CANONICAL.get(n, re.compile("$^")).search(heading))
            if not accept and found and n < expected and meaning is not None and meaning not in restarted \
                    and KNOWN_HEADING.match(heading) and meaning > 1 \
                    and not any(s.template == meaning and KNOWN_HEADING.match(s.heading) for s in found):
                # the template's headings numbered again after the report's own sections
                accept = True
                restarted.add(meaning)
            if accept:
                found.append(Section(n, heading, i, rest or "", template=meaning, offset=offset, rest_at=rest_at))
                expected = n + 1
        if inline and len(found) > first_here:
            # each heading's rest of the line runs to the next heading on it
            here = found[first_here:]
            for s, nxt in zip(here, here[1:] + [None]):
                s.rest = text[s.rest_at:nxt.offset if nxt else len(text)].strip()
    _settle_meanings(found)
    fill_text(found, lines, len(lines))
    return found


def _settle_meanings(sections: list[Section]) -> None:
    """One section per template meaning: a template heading wins over a look-alike of the
    report's own; otherwise the first."""
    for meaning in range(1, 7):
        same = [s for s in sections if s.template == meaning]
        if len(same) < 2:
            continue
        keep = next((s for s in same if KNOWN_HEADING.match(s.heading)), same[0])
        for s in same:
            if s is not keep:
                s.template = None


def fill_text(sections: list[Section], lines: list[Line], end: int) -> None:
    """Each section's text: its lines up to the next heading, the last up to ``end``
    (a heading inside a line: up to where it begins)."""
    for s, nxt in zip(sections, sections[1:] + [None]):
        parts = [s.rest] if s.rest else []
        if nxt is not None and nxt.line == s.line:
            s.text = s.rest
            continue
        stop = nxt.line if nxt else max(end, s.line + 1)
        parts.extend(lines[j].text for j in range(s.line + 1, stop))
        if nxt is not None and nxt.offset and stop < len(lines):
            parts.append(lines[stop].text[:nxt.offset].strip())
        s.text = "\n".join(p for p in parts if p)
        if nxt is None and s.offset and (m := _INLINE_FURNITURE.search(s.text)):
            s.text = s.text[:m.start()].rstrip()
