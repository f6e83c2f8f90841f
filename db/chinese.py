"""Chinese full-text search without a custom SQLite tokenizer.

The archive's FTS5 tables use SQLite's stock ``unicode61`` tokenizer, but what
they index is not the text itself: :func:`index_tokens` turns the text into a
space-separated stream of tokens, one token per character position:

* each CJK character starts one token: the *bigram* of it and the next
  character of the same run of CJK characters, or, for the last character of
  a run, the character alone (a *unigram*);
* other letters and digits form words, lower-cased, as in English search;
* everything else (punctuation, spaces) separates runs.

``"行政复议，诉讼"`` is indexed as ``"行政 政复 复议 议 诉讼 讼"``.

:func:`fts_query` rewrites what a user types into an FTS5 query over that
stream.  A run of n >= 2 CJK characters becomes the phrase of its n-1 bigrams
(``依申请公开`` -> ``"依申 申请 请公 公开"``), which matches exactly where the
run occurs in the text; a single character becomes the prefix query ``复*``,
which matches every token that starts with it — and since every character of
the text starts exactly one token, that is every occurrence.  So any query of
any length matches every document that contains it: no false negatives, by
construction, without a dictionary.  Whitespace-separated terms are ANDed.

The same two functions are registered as SQL functions (``chinese_tokens``,
``chinese_fts_query``) by the Datasette plugin in :mod:`db.datasette_plugin`,
which also makes Datasette's own search box use :func:`fts_query`.
"""
from __future__ import annotations

import re
import unicodedata

#: bump when index_tokens changes: the archive rebuilds its FTS tables
TOKENIZER_VERSION = 1

_CJK = (
    "\u3005\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uac00-\ud7af\U00020000-\U0003134f"
)
# a run of CJK characters, or a run of other word characters (letters, digits)
_RUN_RE = re.compile(rf"([{_CJK}]+)|((?:(?![{_CJK}])[^\W_])+)")
_CJK_RE = re.compile(rf"[{_CJK}]")


def _normalise(text: str) -> str:
    # NFKC folds full-width digits and letters (１２３４５ -> 12345, ＡＰＰ -> APP)
    return unicodedata.normalize("NFKC", text).lower()


_NFKC_NEEDED: frozenset | None = None


def _nfkc_needed() -> frozenset:
    """Characters NFKC might turn into different tokens: those it maps to letters, digits or
    marks, combining marks, Hangul, and second halves of canonical pairs. Text without any
    of them tokenises the same with or without NFKC (full-width punctuation only separates)."""
    global _NFKC_NEEDED
    if _NFKC_NEEDED is None:
        need = set()
        for cp in range(0x110000):
            if 0xD800 <= cp < 0xE000:
                continue
            c = chr(cp)
            if unicodedata.combining(c) or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F \
                    or 0xAC00 <= cp <= 0xD7A3:
                need.add(c)
                continue
            dec = unicodedata.decomposition(c)
            if not dec:
                continue
            if not dec.startswith("<"):
                need.update(chr(int(x, 16)) for x in dec.split()[1:])
            n = unicodedata.normalize("NFKC", c)
            if n != c and any(ch.isalnum() or unicodedata.combining(ch) or _CJK_RE.match(ch)
                              for ch in c + n):
                need.add(c)
        _NFKC_NEEDED = frozenset(need)
    return _NFKC_NEEDED


# at each CJK character: it and the next one if that is CJK too; else a whole run of
# other letters and digits. One C-level findall gives the token stream in order.
_TOKEN_RE = re.compile(rf"(?=([{_CJK}][{_CJK}]?|[^\W_{_CJK}]+))(?:[{_CJK}]|[^\W_{_CJK}]+)")


def _cjk_tokens(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def index_tokens(text: str | None) -> str:
    """The token stream stored in the FTS index for ``text``."""
    if not text:
        return ""
    if not unicodedata.is_normalized("NFKC", text) and not _nfkc_needed().isdisjoint(text):
        text = unicodedata.normalize("NFKC", text)
    return " ".join(_TOKEN_RE.findall(text.lower()))


def _term_query(term: str) -> str | None:
    runs = [(m.group(1), m.group(2)) for m in _RUN_RE.finditer(_normalise(term))]
    if not runs:
        return None
    tokens: list[str] = []
    prefix = False
    for i, (cjk, word) in enumerate(runs):
        last = i == len(runs) - 1
        if word:
            tokens.append(word)
        elif not last:
            # the text must continue with a non-CJK character here, so the run
            # ends here in the text too: it is tokenised exactly as in the index
            tokens.extend(_cjk_tokens(cjk))
        elif len(cjk) >= 2:
            # the text may go on with more CJK: bigrams only
            tokens.extend(cjk[j : j + 2] for j in range(len(cjk) - 1))
        else:
            tokens.append(cjk)
            prefix = True
    phrase = '"' + " ".join(tokens) + '"'
    return phrase + " *" if prefix else phrase


def fts_query(query: str | None) -> str:
    """Rewrite a user's search into an FTS5 MATCH expression for the token stream.

    Terms separated by whitespace must all occur (AND); each term matches as a
    substring for Chinese and as whole words for Latin letters and digits.
    A query with nothing searchable returns ``'""'``, which matches nothing.
    """
    parts = [_term_query(t) for t in (query or "").replace('"', " ").split()]
    parts = [p for p in parts if p]
    return " AND ".join(parts) if parts else '""'


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text or ""))
