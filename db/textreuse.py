"""Text reuse: how much of each section repeats the same section of the publisher's previous report.

Pure standard library. Texts are normalised (NFKC, no whitespace, every run of digits → ``#``,
so a copied paragraph with this year's numbers still counts as copied) and cut into overlapping
character 4-grams (shingles). For each section number present in both reports:

* ``jaccard``     = |A ∩ B| / |A ∪ B|  — how alike the two sections are;
* ``containment`` = |A ∩ B| / |A|      — how much of this year's section was already there.

Rows go to ``section_similarity`` (with ``sections_hash``, a digest of the two versions' sections:
a later run keeps the rows of an unchanged pair instead of comparing again);
:func:`db.crossyear.run_cross_year_checks` turns them into the
``crossyear_text_reuse`` check (warn when a section of at least ``textreuse_min_chars`` characters
has ``jaccard ≥ textreuse_threshold``; only the prose sections ``textreuse_sections``, 1, 5 and 6 by
default: sections 2–4 are the template's tables, alike every year).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

K = 4
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


# full-width ASCII (！ … ～) and the ideographic space: what NFKC changes in most Chinese text
_WIDE = re.compile("[\uff01-\uff5e\u3000]")
_NARROW = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "}


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), five times faster on Chinese text: the full-width
    forms are mapped first (to what NFKC maps them), and a text NFKC would then leave alone is
    not normalised again — the result is NFKC of a compatibility-equivalent text, so the same."""
    t = _WIDE.sub(lambda m: _NARROW[m.group()], text)
    return t if unicodedata.is_normalized("NFKC", t) else unicodedata.normalize("NFKC", t)


def normalise(text: str | None) -> str:
    t = nfkc(text or "")
    return _DIGITS.sub("#", _SPACE.sub("", t))


def shingles(text: str, k: int = K) -> set[str]:
    if len(text) < k:
        return {text} if text else set()
    return {text[i:i + k] for i in range(len(text) - k + 1)}


def prepared(text: str | None) -> tuple[set[str], int]:
    """(shingles, length) of a normalised section text."""
    t = normalise(text)
    return shingles(t), len(t)


def _similarity(a: tuple[set[str], int], b: tuple[set[str], int]) -> tuple[float | None, float | None, int, int]:
    (sa, na), (sb, nb) = a, b
    if not sa or not sb:
        return None, None, na, nb
    inter = len(sa & sb)
    return inter / (len(sa) + len(sb) - inter), inter / len(sa), na, nb


def similarity(a: str | None, b: str | None) -> tuple[float | None, float | None, int, int]:
    """(jaccard, containment of ``a`` in ``b``, len(a), len(b)) of two section texts."""
    return _similarity(prepared(a), prepared(b))


class _Version:
    """A version's numbered sections as read (``sections``: number → (heading, text), the last
    of a number), their digest, and their shingles once needed."""

    __slots__ = ("sections", "digest", "_prepared")

    def __init__(self, rows: list[tuple]):
        self.sections = {n: (h, t) for n, h, t in rows}
        self.digest = hashlib.blake2b(repr(rows).encode(), digest_size=16).digest()
        self._prepared: dict = {}

    def prepared(self, number: int) -> tuple[set[str], int]:
        if number not in self._prepared:
            self._prepared[number] = prepared(self.sections[number][1])
        return self._prepared[number]


def _version(conn, version_id: int, cache: dict | None) -> _Version:
    if cache is not None and version_id in cache:
        return cache[version_id]
    v = _Version(conn.execute(
        "SELECT number, heading, text FROM sections WHERE version_id = ? AND number IS NOT NULL "
        "ORDER BY id", (version_id,)).fetchall())
    if cache is not None:
        cache[version_id] = v
    return v


_KEYS = ("report_id", "version_id", "prev_report_id", "prev_version_id", "report_year", "prev_year")


def compare_reports(conn, report_id: int, version_id: int, year: int,
                    prev_report_id: int, prev_version_id: int, prev_year: int,
                    cache: dict | None = None, stored: list[dict] | None = None) -> list[dict]:
    """Compare the sections of two versions, store the rows in section_similarity, return them.

    ``cache`` (version id → its sections) spares reading and preparing a version twice when
    consecutive years are compared in turn. ``stored``: the version's rows from an earlier run;
    when they compared the same two reports and years and ``sections_hash`` (a digest of both
    versions' numbered sections as read) is that of the sections now, they are the same rows
    and are returned as they are, nothing compared or written again."""
    cur = _version(conn, version_id, cache)
    prev = _version(conn, prev_version_id, cache)
    digest = hashlib.blake2b(cur.digest + prev.digest, digest_size=16).hexdigest()
    keys = (report_id, version_id, prev_report_id, prev_version_id, year, prev_year)
    if stored and all(r.get("sections_hash") == digest and tuple(r[k] for k in _KEYS) == keys for r in stored):
        return sorted(stored, key=lambda r: r["section_number"])
    conn.execute("DELETE FROM section_similarity WHERE version_id = ?", (version_id,))
    rows = []
    for number in sorted(set(cur.sections) & set(prev.sections)):
        jac, cont, n, pn = _similarity(cur.prepared(number), prev.prepared(number))
        row = {"report_id": report_id, "version_id": version_id, "section_number": number,
               "heading": cur.sections[number][0], "prev_report_id": prev_report_id,
               "prev_version_id": prev_version_id, "report_year": year, "prev_year": prev_year,
               "jaccard": None if jac is None else round(jac, 4),
               "containment": None if cont is None else round(cont, 4), "chars": n, "prev_chars": pn,
               "sections_hash": digest}
        rows.append(row)
    conn.executemany(
        "INSERT OR REPLACE INTO section_similarity(report_id, version_id, section_number, heading, "
        "prev_report_id, prev_version_id, report_year, prev_year, jaccard, containment, chars, prev_chars, "
        "sections_hash) VALUES (:report_id, :version_id, :section_number, :heading, :prev_report_id, "
        ":prev_version_id, :report_year, :prev_year, :jaccard, :containment, :chars, :prev_chars, "
        ":sections_hash)", rows)
    return rows


def reuse_check(rows: list[dict], threshold: float, min_chars: int,
                sections: "set[int] | None" = None) -> dict | None:
    """The crossyear_text_reuse check for one report from its section_similarity rows.

    Only sections in ``sections`` (default: all) of at least ``min_chars`` characters count."""
    judged = [r for r in rows if r["jaccard"] is not None and min(r["chars"], r["prev_chars"]) >= min_chars
              and (sections is None or r["section_number"] in sections)]
    if not judged:
        return None
    prev_year = judged[0]["prev_year"]
    repeated = [r for r in judged if r["jaccard"] >= threshold]
    if repeated:
        parts = ", ".join(f"{r['section_number']} {r['heading'] or ''} ({r['jaccard']:.2f})" for r in repeated)
        return {"name": "crossyear_text_reuse", "status": "warn",
                "detail": f"{len(repeated)} of {len(judged)} sections repeat the {prev_year} report's text "
                          f"(Jaccard ≥ {threshold}): {parts}"}
    best = max(judged, key=lambda r: r["jaccard"])
    return {"name": "crossyear_text_reuse", "status": "pass",
            "detail": f"{len(judged)} sections compared with the {prev_year} report; most similar: "
                      f"section {best['section_number']} (Jaccard {best['jaccard']:.2f} < {threshold})"}
