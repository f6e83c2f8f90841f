"""Numbers that text extraction ran together, split again by the table's own sums.

Plain PDF text extraction often loses the gaps between cells: table 4 of a real
report comes out as ``726417837351134812612116 20``. Each block of the standard
tables ends with its total (table 3: six applicant columns then 总计; table 4:
four outcomes then 总计), which is enough to split such runs when exactly one
split fits. Numbers never start with 0 (except 0 itself) and never cross a gap
that the text did keep.
"""
from __future__ import annotations

MAX_DIGITS = 7      # no cell in these tables has more
MAX_SOLUTIONS = 2   # we only need to know whether the split is unique


def split_runs(tokens: list[str], blocks: int, size: int) -> list[int] | None:
    """Split digit runs into ``blocks`` blocks of ``size`` numbers, each ending in its sum.

    Returns the numbers when exactly one split fits, else None.

    >>> split_runs(["7264178373511348126"], 2, 5)
    [72, 64, 178, 37, 351, 13, 4, 8, 1, 26]
    >>> split_runs(["1211620"], 1, 5) is None   # 12+1+1+6 and 1+2+11+6 both make 20
    True
    >>> split_runs(["0000000"], 1, 7)
    [0, 0, 0, 0, 0, 0, 0]
    """
    if not tokens or not all(t.isdigit() for t in tokens):
        return None
    s = "".join(tokens)
    if len(s) > blocks * size * MAX_DIGITS or len(s) < blocks * size:
        return None
    # a number may not run past the next kept gap
    limit = [0] * (len(s) + 1)
    pos = 0
    for t in tokens:
        for i in range(pos, pos + len(t)):
            limit[i] = pos + len(t)
        pos += len(t)
    solutions: list[list[int]] = []

    def numbers_at(i: int):
        if i >= len(s):
            return
        if s[i] == "0":
            yield 0, i + 1
            return
        for j in range(i + 1, min(limit[i], i + MAX_DIGITS) + 1):
            yield int(s[i:j]), j

    def dfs(i: int, done: list[int], block: list[int]) -> None:
        if len(solutions) >= MAX_SOLUTIONS:
            return
        if len(block) == size - 1:
            total = str(sum(block))
            j = i + len(total)
            if s.startswith(total, i) and j <= limit[i] if i < len(s) else False:
                nxt = done + block + [int(total)]
                if len(nxt) == blocks * size:
                    if j == len(s):
                        solutions.append(nxt)
                    return
                dfs(j, nxt, [])
            return
        for value, j in numbers_at(i):
            dfs(j, done, block + [value])

    dfs(0, [], [])
    return solutions[0] if len(solutions) == 1 else None
