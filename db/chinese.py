"""Chinese full-text search with SQLite's own ``trigram`` tokenizer.

Search here means *substring* search: a term matches a report when the report's text
contains it, for terms of any length (复, 复议, 依申请公开), Chinese, Latin or mixed, with
letters matched in either case, full-width or other compatibility forms of letters and
digits (２０２３, ＡＰＰ, ①) matched as their plain forms, and full-width and ASCII
punctuation matched as the same (a term's marks are tried in both spellings: :func:`variants`).

Two contentless FTS5 tables, both tokenized by SQLite's built-in ``trigram`` tokenizer (so
indexing runs in C, and the sqlite3 shell can search them without this package), hold one
row per stored version (rowid = ``versions.id``):

``search_text(title, agency, text)`` — :func:`fold` of the title, the agency and every
    section (heading and text, one per line). Every three consecutive characters are a
    token, with their positions, so a term of three or more characters is the phrase of its
    trigrams and matches exactly where the term occurs: ``'"依申请公开"'``.
``search_short(text)`` — the same text with :data:`MARK` between every two characters
    (:func:`short_text`), indexed without positions (``detail=none``). Its trigrams are
    ``MARK c MARK`` (the character c occurs) and ``a MARK b`` (the pair ab occurs), so a
    term of one or two characters is one token: ``'"\\x01复\\x01"'``, ``'"复\\x01议"'``.
    The trigram tokenizer alone cannot match terms shorter than three characters.

Terms separated by whitespace must all occur (AND). :func:`terms` splits and folds a
query; :func:`long_match` and :func:`short_match` give the MATCH expressions for the two
tables (None when a query has no term for that table); :func:`contains` is the same test
on a text in Python, used for the sections of matching versions and for versions not
indexed yet (see :mod:`db.search`).
"""
from __future__ import annotations

import re
import unicodedata

#: bump when fold/short_text or the index layout change: the archive rebuilds its index
TOKENIZER_VERSION = 2

#: the separator of search_short's text; never part of folded text (control characters are)
MARK = "\x01"

_WS = re.compile(r"\s+")

_FOLD: dict[int, str] | None = None
_FOLD_CHARS: "_Chars | None" = None


class _Chars:
    """Does a text contain any of these code points? One C-level regex scan: the characters
    of the Basic Multilingual Plane in one class (compiled to a bitmap), the rest in another
    that only texts with such characters are scanned with."""

    _ASTRAL = re.compile("[\U00010000-\U0010ffff]")

    def __init__(self, cps):
        cps = set(cps)
        self.bmp = _char_class([c for c in cps if c < 0x10000])
        self.astral = _char_class([c for c in cps if c >= 0x10000])

    def search(self, text: str) -> bool:
        return bool(self.bmp.search(text) or (self._ASTRAL.search(text) and self.astral.search(text)))


def _char_class(cps: list[int]) -> "re.Pattern":
    """A compiled ``[...]`` matching any of the code points (as ranges)."""
    parts, cps = [], sorted(set(cps))
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        a, b = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(a if i == j else f"{a}-{b}")
        i = j + 1
    return re.compile("[" + "".join(parts) + "]")


def _fold_table() -> tuple[dict[int, str], "_Chars"]:
    """Characters whose compatibility form (NFKC) is made of letters or digits, mapped to
    that form with ASCII letters lower-cased: full-width Ａ１ -> a1, ① -> 1, ㈠ -> (一)
    is not (parentheses are not letters), 兀 (U+F929) -> 兀. Control characters -> space."""
    global _FOLD, _FOLD_CHARS
    if _FOLD is None:
        table: dict[int, str] = {}
        for cp in range(0x110000):
            if 0xD800 <= cp < 0xE000:
                continue
            c = chr(cp)
            if not unicodedata.decomposition(c):
                continue
            n = unicodedata.normalize("NFKC", c)
            if n != c and n and all(ch.isalnum() for ch in n):
                table[cp] = _ascii_lower(n)
        # control characters that are not whitespace (MARK among them) -> space
        for cp in (*range(0x00, 0x09), *range(0x0E, 0x1C), 0x7F):
            table[cp] = " "
        _FOLD = table
        # and letters other than ASCII that have a lower case: SQL's lower() leaves them
        upper = [cp for cp in range(0x80, 0x20000) if not 0xD800 <= cp < 0xE000
                 and chr(cp).lower() != chr(cp)]
        _FOLD_CHARS = _Chars([*table, *upper])
    return _FOLD, _FOLD_CHARS


def _ascii_lower(s: str) -> str:
    return s.lower() if s.isascii() else "".join(ch.lower() if ch.isascii() else ch for ch in s)


def needs_fold(text: str | None) -> bool:
    """Whether the search's folding (:func:`fold`, then lower case) changes more in ``text``
    than SQL's ``lower()`` does (ASCII letters only)."""
    return bool(text) and _fold_table()[1].search(text)


def fold(text: str | None) -> str:
    """The text as indexed: compatibility letters and digits replaced by their plain forms,
    control characters by spaces. Case is left to the tokenizer (case-insensitive)."""
    if not text:
        return ""
    table, chars = _fold_table()
    return text.translate(table) if chars.search(text) else text


def short_text(text: str | None) -> str:
    """search_short's text for an already folded text: MARK before, between and after
    every character."""
    return MARK + MARK.join(text) + MARK if text else ""


def terms(query: str | None) -> list[str]:
    """The search terms of a query: folded, lower-cased, split on whitespace; double quotes
    separate terms too (they have no meaning here). Duplicates dropped, order kept."""
    q = fold(query or "").lower().replace('"', " ")
    return list(dict.fromkeys(_WS.split(q.strip()))) if q.strip() else []


#: a term's punctuation marks are tried in both spellings, up to this many marks per term
MAX_PUNCT_VARIANTS = 6
# full-width punctuation (U+FF01-FF5E) <-> ASCII: what NFKC makes the same, and what people
# type either way (the corpus has both 第(一) and 第（一）)
_TO_ASCII = {chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)
             if not chr(cp - 0xFEE0).isalnum()}
_FORMS = {a: (a, w) for w, a in _TO_ASCII.items()}


def variants(term: str) -> list[str]:
    """The spellings of a term that search treats as the same: each punctuation mark in its
    ASCII and its full-width form (the first MAX_PUNCT_VARIANTS marks; later ones as typed)."""
    chars = [_TO_ASCII.get(ch, ch) for ch in term]
    out = [""]
    marks = 0
    for typed, ch in zip(term, chars):
        forms = _FORMS.get(ch)
        if forms and marks < MAX_PUNCT_VARIANTS:
            marks += 1
            out = [o + f for o in out for f in forms]
        else:
            out = [o + typed for o in out]
    return out


def _phrase(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _any(spellings: list[str]) -> str:
    return spellings[0] if len(spellings) == 1 else "(" + " OR ".join(spellings) + ")"


def long_match(query: str | None) -> str | None:
    """MATCH expression for search_text: the terms of three or more characters, ANDed (a
    term with punctuation: any of its spellings)."""
    parts = [_any([_phrase(v) for v in variants(t)]) for t in terms(query) if len(t) >= 3]
    return " AND ".join(parts) if parts else None


def _short_token(t: str) -> str:
    return _phrase(MARK + t + MARK if len(t) == 1 else t[0] + MARK + t[1])


def short_match(query: str | None) -> str | None:
    """MATCH expression for search_short: the terms of one or two characters, ANDed."""
    parts = [_any([_short_token(v) for v in variants(t)]) for t in terms(query) if len(t) < 3]
    return " AND ".join(parts) if parts else None


def contains(text: str | None, query: str | None) -> bool:
    """Whether ``text`` contains every term of ``query`` (the search's own semantics)."""
    ts = terms(query)
    if not ts:
        return False
    t = fold(text).lower()
    return all(any(v in t for v in variants(term)) for term in ts)
