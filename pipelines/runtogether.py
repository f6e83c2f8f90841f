"""Tables whose cells arrived run together: segmented by the template's labels, split by its sums.

Text dumps of report pages often lose every separator: table 3 becomes
``…其他总计一、本年新收政府信息公开申请数量2300000023二、上年结转…``. The template's
row labels come in a fixed order, so the text between two consecutive labels holds
one row's digits (plus, at its end, the next label's item number ``2.``). Each run
is split into the cells the row must have; every split where the row's total is the
sum of its parts is a candidate, and the table's own identities across rows (the
balance, the result rows summing to 总计) pick among them. A row with no single
answer is left out with a warning — a wrong number is never written.

A whitespace gap that the text kept between digits is a cell boundary; a printed
blank mark is a blank cell: ``无`` and ``/`` one cell each, a dash (``—``, ``——``, ``-``,
``--``) one or two characters a cell. A ``-`` is a minus sign only in a 2019 table-2 row
(本年增/减); a count is never negative. A blank reads as 0 where the row still adds up to
its total; a row whose blanks would not is left out. Cells may have left no trace at all
(an empty cell), so every split allows for them and the identities choose.
"""
from __future__ import annotations

import itertools
import re

from .labels import (_APP_KEYS, _APP_RE, _ACTIVE_KEYS, _ACTIVE_RE, ACTIVE_2019, ACTIVE_2021, APPLICANT_COLUMNS,
                     APPLICATION_ROWS,
                     MONEY, RESULT_ROWS, REVIEW_BLOCKS, REVIEW_COLUMNS)
from .values import fold, to_number, yuan_to_wan

MAX_DIGITS = 7          # no cell of these tables is longer
MAX_CANDIDATES = 64     # splits of one row beyond this: the row is not determined
MAX_COMBINATIONS = 20000

# the order rows are printed in: the template's, with the merged （六）其他处理 row before its sub-rows
APP_ORDER = tuple(k for k in APPLICATION_ROWS if k != "other")
APP_ORDER = APP_ORDER[:APP_ORDER.index("other.no_correction")] + ("other",) + APP_ORDER[APP_ORDER.index("other.no_correction"):]

_GAP = "|"
_BLANK = "—"
_NIL = "∅"          # 无 or / printed for a blank cell: exactly one cell each (a blank printed as a dash may
                    # be one dash or two: ——, --)
# a value stretch: digits, kept gaps, blank marks, decimal points, signs
_STRETCH = re.compile(r"[\d|—∅+\-.,]+")
_WU = re.compile(r"无(?=\s*[\d—∅无])|(?<=[\d—∅])无|(?<=[\d—∅]\s)无")


def compact(text: str) -> str:
    """Whitespace dropped, except between two value characters where it becomes a gap mark;
    full-width digits folded; thousands separators and blank marks normalised."""
    text = fold(text).replace("增/减", "增减").replace("/", _NIL).replace("–", _BLANK)
    # 无 printed for a blank cell: next to a digit or another blank (never 无法/无正当 of a label)
    while True:
        new = _WU.sub(_NIL, text)
        if new == text:
            break
        text = new
    out = []
    for m in re.finditer(r"\S+|\s+", text):
        piece = m.group(0)
        if not piece.isspace():
            out.append(piece)
            continue
        before = out[-1][-1] if out else ""
        after = text[m.end()] if m.end() < len(text) else ""
        if _is_value_char(before) or _is_value_char(after):
            out.append(_GAP)
    return "".join(out)


def _blank(token: str) -> bool:
    return token[0] in "—∅"


def _is_value_char(ch: str) -> bool:
    return bool(ch) and (ch.isdigit() or ch in "—∅-+")


class Stretch:
    """The values printed between one row label and the next."""

    __slots__ = ("tokens", "glued", "spaced")

    def __init__(self, text: str, glued: bool, signed: bool = False):
        # tokens: gap-separated pieces; a blank mark is a token of its own. Only a column of
        # changes (本年增/减) has signed numbers; elsewhere "-" is a blank mark, never a minus
        pieces = []
        if not signed:
            text = text.replace("-", "—")
        for part in text.split(_GAP):
            for p in re.findall(r"—+|∅|[+\-]?[\d.,]+|[+\-]", part):
                pieces.append("—" if p in "+-" else p)
        self.tokens = pieces
        self.glued = glued      # the digits touch the label (no gap): the text ran together
        self.spaced = _GAP in text   # the text kept a gap between some of its cells

    @property
    def digits(self) -> int:
        return sum(len(t) for t in self.tokens)


def _stretch_between(between: str, strip_item: bool, signed: bool = False) -> tuple[Stretch | None, int]:
    """The value stretch in the text between two labels: (stretch, number of stretches).

    The next label's item number (``2.`` / ``3、``) glued onto the digits is taken off.
    ``signed``: the row may hold negative numbers (a 2019 table-2 row's 本年增/减).
    """
    found = []
    for m in _STRETCH.finditer(between):
        rawm = m.group(0) if signed else m.group(0).replace("-", _BLANK)
        end = m.end()
        item = rawm.rstrip(_GAP).endswith(".") or between[end:end + 1] in ("、", "．")
        s = rawm.strip(_GAP + ".,")
        if not s or not re.search(r"[\d—∅]", s):
            continue
        if item and s[-1].isdigit():
            if not strip_item and len(s) == 1:
                continue
            if strip_item:
                s = s[:-1].rstrip(_GAP + ".")
                if not s:
                    continue
        found.append(Stretch(s, glued=not rawm.startswith(_GAP), signed=signed))
    if not found:
        return Stretch("", glued=False), 0
    return found[0], len(found)


def _segments(text: str, rx: re.Pattern, keys: list, order: tuple, first: str | None) -> list[tuple[str, int, int]]:
    """(key, label end, next label start) for each row label met in template order.

    A label out of order is ignored; so is one with no number after it when the same
    label comes again later (a column header 总计, a header row repeated on a new page).
    """
    raw = [(keys[int(m.lastgroup[1:])], m.start(), m.end()) for m in rx.finditer(text)]
    hits: list[tuple[str, int, int]] = []   # key, start, end
    rank = {k: i for i, k in enumerate(order)}
    last = -1
    started = first is None
    for i, (key, start, end) in enumerate(raw):
        if key is None:
            hits.append((None, start, end))
            continue
        if not started:
            if key != first:
                continue
            started = True
        if rank[key] <= last:
            continue
        nxt = raw[i + 1][1] if i + 1 < len(raw) else len(text)
        if not re.search(r"\d", text[end:nxt]) and any(k == key for k, _, _ in raw[i + 1:]):
            continue
        last = rank[key]
        hits.append((key, start, end))
    out = []
    for i, (key, _start, end) in enumerate(hits):
        if key is None:
            continue
        nxt = hits[i + 1][1] if i + 1 < len(hits) else len(text)
        out.append((key, end, nxt))
    return out


# ------------------------------------------------------------------ splitting

def _number_ok(piece: str) -> bool:
    """A printed number: no leading 0 unless it is 0, thousands groups of exactly three digits."""
    if not piece or piece[0] == "," or piece[-1] == ",":
        return False
    if piece[0] == "0" and len(piece) > 1:
        return False
    if "," in piece:
        groups = piece.split(",")
        return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    return True


def splits(tokens: list[str], size: int, blocks: int = 1, limit: int = MAX_CANDIDATES,
           blanks: bool = False, sums: bool = True) -> list[list[int]] | None:
    """Every way to cut the tokens into ``blocks`` blocks of ``size`` numbers, each block
    ending in the sum of the others; None when there are more than ``limit``.

    A token keeps its boundaries (a gap the text kept); a run of k dashes is between k/2
    and k blank cells (``—`` or ``——`` each); numbers never start with 0 unless they are 0, and a thousands separator keeps
    its three digits. With ``blanks``, cells that left no trace in the text (an empty
    cell run together with the rest) are allowed too; splits that give the same numbers
    count once. Without ``sums``, blocks state no total: any split counts.

    >>> splits(["230000023"], 7)
    [[23, 0, 0, 0, 0, 0, 23]]
    >>> len(splits(["1211620"], 5))      # 12+1+1+6, 1+2+11+6 and 1+2+1+16 all make 20
    3
    >>> splits(["23,1194", "23,123"], 3)
    [[23119, 4, 23123]]
    >>> splits(["000000"], 7, blanks=True)
    [[0, 0, 0, 0, 0, 0, 0]]
    """
    if not tokens:
        return None
    need = size * blocks
    n = len(tokens)
    suffix = [0] * (n + 1)
    for u in range(n - 1, -1, -1):
        suffix[u] = suffix[u + 1] + len(tokens[u])
    memo: dict[tuple, list[tuple] | None] = {}

    def cells_of(u: int, pos: int):
        s = tokens[u]
        if s == _NIL:
            yield 0, u + 1, 0
            return
        if s[0] == "—":
            for width in (1, 2):
                if pos + width <= len(s):
                    yield (0, u + 1, 0) if pos + width == len(s) else (0, u, pos + width)
            return
        if "." in s:
            if pos == 0:
                yield to_number(s.lstrip("+")), u + 1, 0
            return
        sign = 1
        if s[pos] in "+-":
            sign = -1 if s[pos] == "-" else 1
            pos += 1
            if pos == len(s):
                return
        for j in range(pos + 1, min(len(s), pos + MAX_DIGITS + 2) + 1):
            piece = s[pos:j]
            if j < len(s) and s[j] == ",":
                continue          # a number does not stop before its own separator
            if not _number_ok(piece):
                if piece[0] == "0":
                    return
                continue
            number = sign * int(piece.replace(",", ""))
            yield (number, u + 1, 0) if j == len(s) else (number, u, j)

    def rest(u: int, pos: int, k: int, block_sum: int) -> list[tuple] | None:
        """Every way to fill cells k… from tokens[u][pos:] on; None when there are too many."""
        key = (u, pos, k, block_sum)
        if key in memo:
            return memo[key]
        left = need - k
        found: set[tuple] = set()
        rem = suffix[u] - pos if u < n else 0
        block_pos = k % size
        if left == 0:
            memo[key] = [()] if u == n else []
            return memo[key]
        if (not blanks and rem < left) or rem > left * (MAX_DIGITS + 3) or \
                (sums and block_pos and rem < len(str(block_sum))):
            memo[key] = []
            return []
        options = list(cells_of(u, pos)) if u < n else []
        if blanks and (block_pos < size - 1 or not sums):
            options.append((0, u, pos))       # an empty cell the text lost (never the total)
        for value, nu, npos in options:
            end = block_pos == size - 1
            if sums and end and value != block_sum:
                continue
            sub = rest(nu, npos, k + 1, 0 if end else block_sum + value)
            if sub is None:
                memo[key] = None
                return None
            for tail in sub:
                found.add((value, *tail))
            if len(found) > limit:
                memo[key] = None
                return None
        memo[key] = sorted(found)
        return memo[key]

    got = rest(0, 0, 0, 0)
    return None if got is None else [list(t) for t in got]


# ------------------------------------------------------------------ table 3

def read_applications_run(text: str) -> tuple[dict, dict, list[str]] | None:
    """Table 3 from run-together text: (values, raw, warnings), or None when it is not there."""
    s = compact(cut(text, "applications"))
    segs = _segments(s, _APP_RE, _APP_KEYS, APP_ORDER, "new_received")
    segs = _with_other_misc(s, segs)
    if len(segs) < 3:
        return None
    keys = [k for k, _, _ in segs]
    warnings: list[str] = []
    ncols = len(APPLICANT_COLUMNS)
    candidates: dict[str, list[list[int]]] = {}
    raw: dict[str, dict] = {}
    subrows = any(k.startswith("other.") for k in keys)
    for i, (key, a, b) in enumerate(segs):
        stretch, count = _stretch_between(s[a:b], strip_item=i + 1 < len(segs))
        if key == "other" and subrows and not stretch.tokens:
            continue          # （六）其他处理 is the heading of its sub-rows here
        if count > 1 and i + 1 < len(segs):
            warnings.append(f"applications: row {key} has numbers in two places; left out")
            continue
        toks = stretch.tokens
        if not toks:
            candidates[key] = [[0] * ncols]
            raw[key] = dict.fromkeys(APPLICANT_COLUMNS, "")
            warnings.append(f"applications: no number printed in row {key}; read as blank (0)")
            continue
        if len(toks) == ncols and all(t != "—" * len(t) or len(t) == 1 for t in toks):
            row = [0 if _blank(t) else to_number(t) for t in toks]
            if any(_blank(t) for t in toks) and row[-1] != sum(row[:-1]):
                # a blank read as 0 must leave the row adding up; otherwise it is not known to be 0
                warnings.append(f"applications: row {key} has blank cells ({' '.join(toks)}) that read as 0 "
                                "do not add up to its total; left out")
                continue
            candidates[key] = [row]
        elif len(toks) > ncols:
            warnings.append(f"applications: row {key} has {len(toks)} numbers for {ncols} cells; left out")
            continue
        else:
            # cells run together may have lost blank cells too (an empty <td> leaves nothing; nor
            # does a blank cell of layout text, whose gaps are kept): identities must choose
            found = splits(toks, ncols, blanks=True)
            if not found:
                why = "too many ways to split it" if found is None else "no split where 总计 is the sum"
                warnings.append(f"applications: row {key} has its cells run together ({' '.join(toks)}); "
                                f"{why}; left out")
                continue
            candidates[key] = found
        raw[key] = None
    values = _resolve_applications(candidates, warnings)
    out_raw = {}
    for key, row in values.items():
        out_raw[key] = raw.get(key) or {c: str(v) for c, v in zip(APPLICANT_COLUMNS, row.values())}
    return values, out_raw, warnings


def _with_other_misc(s: str, segs: list) -> list:
    """The 2021 template's bare ``3.其他`` row after 其他处理 2.: no distinctive words, found by position."""
    out = []
    for i, (key, a, b) in enumerate(segs):
        if key == "other.no_fee" and not any(k == "other.misc" for k, _, _ in segs):
            m = re.search(r"(?:3[.、．]|[（(]?3[)）])?其他(?=[\d|—∅\-])", s[a:b])
            if m and re.search(r"[\d—∅\-]", s[a:a + m.start()]):
                out.append((key, a, a + m.start()))
                out.append(("other.misc", a + m.end(), b))
                continue
        out.append((key, a, b))
    return out


_BALANCE = ("new_received", "carried_over", "total_handled", "carried_forward")
MAX_STATES = 50000


def _results_complete(candidates: dict) -> bool:
    """Whether every result row of the template was read (else their sum proves nothing)."""
    fixed = [r for r in RESULT_ROWS if not r.startswith("other")]
    if not all(r in candidates for r in fixed):
        return False
    return "other" in candidates or all(r in candidates for r in ("other.no_correction", "other.no_fee"))


def _resolve_applications(candidates: dict[str, list[list[int]]], warnings: list[str]) -> dict:
    """Rows whose split is unique once the table's identities are applied.

    The identities: new_received + carried_over = total_handled + carried_forward, and
    the result rows summing to total_handled, column by column. The four balance rows
    are tried together; for each way they balance, the result rows' candidates that
    can add up to total_handled are found by dynamic programming over partial sums
    (forward and backward). A row is kept when a single candidate survives.
    """
    results = [r for r in RESULT_ROWS if r in candidates]
    if "other" in results and any(r.startswith("other.") for r in results):
        results = [r for r in results if r != "other"]
    result_set = set(results)
    complete_results = _results_complete(candidates)
    feasible: dict[str, set[tuple]] = {k: set() for k in candidates}
    bal_rows = [r for r in _BALANCE if r in candidates]
    bal_options = list(itertools.product(*(candidates[r] for r in bal_rows)))
    undecided = False
    if len(bal_options) > MAX_COMBINATIONS:
        bal_options, undecided = [], True
    for pick in bal_options:
        chosen = dict(zip(bal_rows, pick))
        if len(chosen) == 4:
            a, b, t, f = (chosen[r] for r in _BALANCE)
            if any(a[i] + b[i] != t[i] + f[i] for i in range(len(a))):
                continue
        if "total_handled" in chosen and complete_results:
            ok = _result_feasibility([candidates[r] for r in results], tuple(chosen["total_handled"]))
            if ok is None:
                undecided = True
                continue
            if not all(ok):
                continue
            for r, cands in zip(results, ok):
                feasible[r].update(cands)
        else:
            for r in results:
                feasible[r].update(tuple(c) for c in candidates[r])
        for r, v in chosen.items():
            feasible[r].add(tuple(v))
    for k, cands in candidates.items():
        if k not in feasible or (k not in result_set and k not in _BALANCE):
            feasible[k] = {tuple(c) for c in cands}
    out = {}
    for k in APP_ORDER:
        if k not in candidates:
            continue
        options = feasible[k]
        if len(options) == 1 and not undecided or len(candidates[k]) == 1 and len(options) == 1:
            out[k] = dict(zip(APPLICANT_COLUMNS, next(iter(options))))
            if len(candidates[k]) > 1:
                warnings.append(f"applications: row {k} has its cells run together; "
                                "split by the table's identities")
        elif len(candidates[k]) == 1 and not options:
            out[k] = dict(zip(APPLICANT_COLUMNS, candidates[k][0]))   # as printed; the checks will say
        else:
            n = len(options) if options else len(candidates[k])
            warnings.append(f"applications: row {k} has its cells run together and {n} splits fit "
                            "the table's identities; left out")
    return out


def _result_feasibility(rows: list[list[list[int]]], target: tuple) -> list[set[tuple]] | None:
    """For each row, its candidates that can be part of a choice summing to ``target``;
    None when the partial sums grow past MAX_STATES."""
    width = len(target)
    forward = [{(0,) * width}]
    for cands in rows:
        nxt = set()
        for st in forward[-1]:
            for c in cands:
                v = tuple(x + y for x, y in zip(st, c))
                if all(v[i] <= target[i] for i in range(width)):
                    nxt.add(v)
        if len(nxt) > MAX_STATES:
            return None
        forward.append(nxt)
    backward = [set() for _ in range(len(rows) + 1)]
    backward[-1] = {tuple(target)}
    for i in range(len(rows) - 1, -1, -1):
        # states before row i from which the rest can reach the target
        need = set()
        for st in forward[i]:
            for c in rows[i]:
                if tuple(x + y for x, y in zip(st, c)) in backward[i + 1]:
                    need.add(st)
                    break
        backward[i] = need
    out = []
    for i, cands in enumerate(rows):
        ok = set()
        for c in cands:
            for st in backward[i]:
                if tuple(x + y for x, y in zip(st, c)) in backward[i + 1]:
                    ok.add(tuple(c))
                    break
        out.append(ok)
    return out


# ------------------------------------------------------------------ table 4

_T4_HEAD_END = re.compile(r"总计|合计")


def _t4_numbers(s: str) -> str | None:
    """The text after the header's last 总计 (the header has one per block, no digits)."""
    first = re.search(r"维持|纠正|审结", s)
    if not first:
        return None
    digit = re.compile(r"[\d—∅\-]").search(s, first.end())
    stop = digit.start() if digit else len(s)
    heads = [m for m in _T4_HEAD_END.finditer(s, 0, stop)]
    if not heads:
        return None
    return s[heads[-1].end():]


def read_reviews_run(text: str) -> tuple[dict, dict, list[str]] | None:
    """Table 4 from run-together text: the fifteen numbers after the last header word."""
    s = compact(cut(text, "reviews"))
    tail = _t4_numbers(s)
    if tail is None:
        return None
    stretch, _ = _stretch_between(tail, strip_item=False)
    toks = stretch.tokens
    need = len(REVIEW_BLOCKS) * len(REVIEW_COLUMNS)
    warnings: list[str] = []
    if not toks:
        return None
    if len(toks) == need and all(len(t) == 1 or t[0] != "—" for t in toks):
        numbers = [0 if _blank(t) else to_number(t) for t in toks]
        blocks = [(toks[b * 5:(b + 1) * 5], numbers[b * 5:(b + 1) * 5]) for b in range(len(REVIEW_BLOCKS))]
        if any(any(_blank(t) for t in tk) and nb[-1] != sum(nb[:-1]) for tk, nb in blocks):
            return {}, {}, [f"reviews_litigation: blank cells ({' '.join(toks)}) that read as 0 do not add up "
                            "to their block's total; table left out"]
    elif len(toks) > need:
        return {}, {}, [f"reviews_litigation: {len(toks)} numbers for {need} cells; table left out"]
    else:
        found = splits(toks, len(REVIEW_COLUMNS), len(REVIEW_BLOCKS), blanks=True)
        if not found or len(found) != 1:
            n = "too many" if found is None else len(found)
            return {}, {}, [f"reviews_litigation: cells run together ({' '.join(toks)}); {n} splits fit "
                            "each block's total; table left out"]
        numbers = found[0]
        warnings.append("reviews_litigation: cells run together; split by each block's total")
    values, raw = {}, {}
    for b, block in enumerate(REVIEW_BLOCKS):
        part = numbers[b * 5:(b + 1) * 5]
        values[block] = dict(zip(REVIEW_COLUMNS, part))
        raw[block] = {c: str(v) for c, v in zip(REVIEW_COLUMNS, part)}
    return values, raw, warnings


# ------------------------------------------------------------------ table 2

def read_active_run(text: str, template: str) -> tuple[dict, dict, list[str]] | None:
    """Table 2 from run-together text. Its rows state no sums, so a row of several cells
    splits only when each cell is one digit; otherwise it is left out."""
    spec = ACTIVE_2019 if template == "2019" else ACTIVE_2021
    text = cut(text, "active")
    s = compact(text)
    segs = _segments(s, _ACTIVE_RE, _ACTIVE_KEYS, tuple(_ACTIVE_KEYS), None)
    segs = [x for x in segs if x[0] in spec]
    if len(segs) < 2:
        return None
    yuan = bool(re.search(r"单位[:：]?元|\(元\)|（元）", text))
    values, raw, warnings = {}, {}, []
    for i, (key, a, b) in enumerate(segs):
        cols = spec[key]
        stretch, _ = _stretch_between(_strip_headers(s[a:b]), strip_item=False, signed=template == "2019")
        toks = stretch.tokens
        if not toks:
            nums = [0] * len(cols)
            warnings.append(f"active_disclosure: no number printed in row {key}; read as blank (0)")
        elif len(toks) == len(cols) and all(len(t) == 1 or t[0] != "—" for t in toks):
            nums = [0 if _blank(t) else to_number(t.lstrip("+")) for t in toks]
        elif all(set(t) <= set("0—∅") for t in toks) and sum(1 for t in toks for _ in t) <= len(cols) * 2:
            nums = [0] * len(cols)     # only zeros and blanks: whatever the split, every cell is 0
            warnings.append(f"active_disclosure: row {key} has its cells run together; all of them 0 or blank")
        else:
            # no sum to check a split against, and a blank cell may have left no trace: never guess
            warnings.append(f"active_disclosure: row {key} has its cells run together ({' '.join(toks)}) "
                            f"and states no sum to split them by; left out")
            continue
        row = {}
        row_yuan = bool(re.match(r"[^\d]*[\d.,|]+元", s[a:b]))
        for col, n in zip(cols, nums):
            if (key, col) in MONEY and (yuan or row_yuan) and n:
                n = yuan_to_wan(n)
            row[col] = n
        values[key] = row
        raw[key] = {c: "" if _blank(t) else t for c, t in zip(cols, toks)} if len(toks) == len(cols) \
            else {c: str(n) for c, n in row.items()}
    return values, raw, warnings


_T2_HEADER = re.compile(r"第二十条第[（(][一二三四五六七八九十]+[)）]项.*$")


def _strip_headers(between: str) -> str:
    """The next block's header (第二十条第（五）项 信息内容 …) is no part of this row."""
    return _T2_HEADER.sub("", between)


# where each table's own text starts and ends inside a longer run (a whole report on one line)
_CUTS = {
    "active": (re.compile(r"第二十条第[（(]一[)）]项|信息内容"),
               re.compile(r"申请人情况|本年新收|收到和处理政府信息公开申请")),
    "applications": (re.compile(r"申请人情况|自然人"),
                     re.compile(r"行政复议(?=.{0,80}(?:维持|纠正))|存在的主要问题|存在问题|其他需要报告")),
    "reviews": (re.compile(r"行政复议(?=.{0,80}(?:维持|纠正))"),
                re.compile(r"存在的主要问题|存在问题|其他需要报告|[五六][、.．]")),
}


def cut(text: str, kind: str) -> str:
    """The part of a region that holds the table itself: from its header to the next table."""
    start_rx, end_rx = _CUTS[kind]
    m = start_rx.search(text)
    a = m.start() if m else 0
    e = end_rx.search(text, a + 4)
    return text[a:e.start() if e else len(text)]


def looks_run_together(text: str, kind: str) -> bool:
    """Whether a table region's numbers touch its labels with no gap, several times."""
    s = compact(cut(text, kind))
    if kind == "applications":
        segs = _segments(s, _APP_RE, _APP_KEYS, APP_ORDER, "new_received")
        glued = 0
        for key, a, b in segs:
            st, _ = _stretch_between(s[a:b], strip_item=True)
            if st.glued and st.digits >= 2 and (len(st.tokens) < len(APPLICANT_COLUMNS) or not st.spaced):
                glued += 1
        return glued >= 2
    if kind == "reviews":
        tail = _t4_numbers(s)
        if tail is None:
            return False
        st, _ = _stretch_between(tail, strip_item=False)
        return 0 < len(st.tokens) < 15 or (len(st.tokens) > 1 and not st.spaced)
    segs = [x for x in _segments(s, _ACTIVE_RE, _ACTIVE_KEYS, tuple(_ACTIVE_KEYS), None)]
    return sum(1 for _, a, b in segs if _stretch_between(s[a:b], False)[0].glued) >= 2
