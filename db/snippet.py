"""Where a search's terms occur: a short window of text with the terms marked.

``snippet(text, q)`` (SQL: ``chinese_snippet(text, q)``, registered by db/pages) returns about
``width`` characters around the first occurrence of any term of ``q`` (terms separated by
spaces), each occurrence wrapped in ⟦ ⟧ (U+27E6, U+27E7: readable in CSV and JSON, and turned
into ``<mark>`` on Datasette's pages). Terms are matched as search matches them
(``db.chinese.fold``: full-width and plain letters and digits alike, any case). NULL when no
term occurs.
"""
from __future__ import annotations

import re

from .chinese import fold

OPEN, CLOSE = "\u27e6", "\u27e7"


def snippet(text: str | None, q: str | None, width: int = 90) -> str | None:
    if not text or not q:
        return None
    terms = [t for t in fold(q).lower().split() if t]
    if not terms:
        return None
    flat = re.sub(r"\s+", " ", text)
    folded = fold(flat).lower()
    if len(folded) != len(flat):  # folding changed lengths: match on the text as printed
        folded = flat.lower()
    hits = [(m.start(), m.end()) for t in terms for m in re.finditer(re.escape(t), folded)]
    if not hits:
        return None
    first = min(hits)[0]
    start = max(0, first - width // 3)
    end = min(len(flat), start + width)
    end = max([end] + [b for a, b in hits if a < end < b])  # never cut a term in two
    spans = sorted((max(a, start), min(b, end)) for a, b in hits if a < end and b > start)
    out, pos = [], start
    for a, b in spans:
        if a < pos:
            a = pos
        if a >= b:
            continue
        out += [flat[pos:a], OPEN, flat[a:b], CLOSE]
        pos = b
    out.append(flat[pos:end])
    return ("…" if start > 0 else "") + "".join(out).strip() + ("…" if end < len(flat) else "")
