"""Cell values as printed in reports: numbers, blanks and their quirks.

Pure functions over strings. A table cell reads as a number (full-width digits,
thousands separators, a unit, a note in brackets such as ``22（其中修订16件）``),
as a blank (empty, ``&nbsp;``, ``/``, ``—``, ``无``), or as not-a-value (a label).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# full-width digits and the punctuation that appears around numbers
_FULLWIDTH = str.maketrans({
    **{chr(0xFF10 + i): str(i) for i in range(10)},
    "，": ",", "．": ".", "－": "-", "＋": "+", "　": " ", "\xa0": " ",
    "％": "%", "／": "/", "（": "(", "）": ")", "：": ":",
})

BLANK_MARKS = frozenset(["", "/", "\\", "-", "—", "——", "–", "--", "无", "空", "/-", "×", "－"])

_NUM = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_VALUE_RE = re.compile(
    rf"^(?P<sign>增加?|减少?)?\s*(?P<num>{_NUM})\s*(?P<unit>万元|元|件|个|次|条|项|人次|人|家|份|%)?"
    r"\s*(?:\((?P<note>[^()]*)\))?$"
)


_HAS_DIGIT = re.compile(r"\d")


def fold(text: str) -> str:
    """Full-width digits and punctuation to ASCII, NBSP and ideographic space to spaces."""
    return text.translate(_FULLWIDTH)


@dataclass(frozen=True, slots=True)
class Value:
    """A parsed cell: ``number`` is None for a blank cell; ``raw`` is the cell as printed."""

    number: int | float | None
    raw: str
    unit: str | None = None

    @property
    def blank(self) -> bool:
        return self.number is None


def to_number(text: str) -> int | float:
    """``"3,119"`` -> 3119, ``"96171.6"`` -> 96171.6, ``"7545.0"`` -> 7545."""
    text = text.replace(",", "")
    if "." in text:
        f = float(text)
        return int(f) if f.is_integer() else f
    return int(text)


def parse_value(cell: str) -> Value | None:
    """Read one cell; None when the cell is a label rather than a value.

    >>> parse_value("22（其中修订16件）").number
    22
    >>> parse_value("&nbsp;") is None, parse_value("\\xa0").blank
    (False, True)
    """
    raw = cell.strip()
    s = fold(cell).strip().replace(" ", "")
    if s in BLANK_MARKS or s == "&nbsp;":
        return Value(None, raw)
    if len(s) > 40 or not _HAS_DIGIT.search(s, 0, 12):
        return None
    m = _VALUE_RE.match(s)
    if not m:
        return None
    number = to_number(m.group("num"))
    if m.group("sign") and m.group("sign").startswith("减") and number > 0:
        number = -number
    return Value(number, raw, m.group("unit"))


def yuan_to_wan(number: int | float) -> int | float:
    """Money printed in 元 converted to 万元, the unit the record uses."""
    wan = round(number / 10000, 6)
    return int(wan) if float(wan).is_integer() else wan
