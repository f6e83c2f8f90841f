"""Text reuse: how much of each section repeats the same section of the publisher's previous report.

Pure standard library. Texts are normalised (NFKC, no whitespace, every run of digits → ``#``,
so a copied paragraph with this year's numbers still counts as copied) and cut into overlapping
character 4-grams (shingles). For each section number present in both reports:

* ``jaccard``     = |A ∩ B| / |A ∪ B|  — how alike the two sections are;
* ``containment`` = |A ∩ B| / |A|      — how much of this year's section was already there.

Rows go to ``section_similarity``; :func:`db.crossyear.run_cross_year_checks` turns them into the
``crossyear_text_reuse`` check (warn when a section of at least ``textreuse_min_chars`` characters
has ``jaccard ≥ textreuse_threshold``; only the prose sections ``textreuse_sections``, 1, 5 and 6 by
default: sections 2–4 are the template's tables, alike every year).
"""
from __future__ import annotations

import re
import unicodedata

K = 4
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


def normalise(text: str | None) -> str:
    t = unicodedata.normalize("NFKC", text or "")
    return _DIGITS.sub("#", _SPACE.sub("", t))


def shingles(text: str, k: int = K) -> set[str]:
    if len(text) < k:
        return {text} if text else set()
    return {text[i:i + k] for i in range(len(text) - k + 1)}


def similarity(a: str | None, b: str | None) -> tuple[float | None, float | None, int, int]:
    """(jaccard, containment of ``a`` in ``b``, len(a), len(b)) of two section texts."""
    na, nb = normalise(a), normalise(b)
    sa, sb = shingles(na), shingles(nb)
    if not sa or not sb:
        return None, None, len(na), len(nb)
    inter = len(sa & sb)
    return inter / len(sa | sb), inter / len(sa), len(na), len(nb)


def compare_reports(conn, report_id: int, version_id: int, year: int,
                    prev_report_id: int, prev_version_id: int, prev_year: int) -> list[dict]:
    """Compare the sections of two versions, store the rows in section_similarity, return them."""
    cur = {n: (h, t) for n, h, t in conn.execute(
        "SELECT number, heading, text FROM sections WHERE version_id = ? AND number IS NOT NULL "
        "ORDER BY id", (version_id,))}
    prev = {n: t for n, t in conn.execute(
        "SELECT number, text FROM sections WHERE version_id = ? AND number IS NOT NULL ORDER BY id",
        (prev_version_id,))}
    rows = []
    for number in sorted(set(cur) & set(prev)):
        heading, text = cur[number]
        jac, cont, n, pn = similarity(text, prev[number])
        row = {"report_id": report_id, "version_id": version_id, "section_number": number,
               "heading": heading, "prev_report_id": prev_report_id, "prev_version_id": prev_version_id,
               "report_year": year, "prev_year": prev_year,
               "jaccard": None if jac is None else round(jac, 4),
               "containment": None if cont is None else round(cont, 4), "chars": n, "prev_chars": pn}
        conn.execute(
            "INSERT OR REPLACE INTO section_similarity(report_id, version_id, section_number, heading, "
            "prev_report_id, prev_version_id, report_year, prev_year, jaccard, containment, chars, prev_chars) "
            "VALUES (:report_id, :version_id, :section_number, :heading, :prev_report_id, :prev_version_id, "
            ":report_year, :prev_year, :jaccard, :containment, :chars, :prev_chars)", row)
        rows.append(row)
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
