"""List-page reading benchmark (:mod:`crawler.spiders.lists`): milliseconds to read one
list page, by markup and size, measured side by side in one run.

    python bench/lists.py [--rows 100,1000] [--repeat 3]

Markups: ``li`` rows with a date span, ``dl/dd`` pairs in one ``<dl>`` (the date in the
next ``<dd>``), ``table`` rows, and a flat ``div`` of links with no row element at all —
the worst case for finding each link's row (every link shares one parent), which must
stay linear in the number of links, not quadratic.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scrapy.http import HtmlResponse  # noqa: E402

from crawler.spiders.lists import generic_links, generic_pages, sub_lists  # noqa: E402

T = "某县某局{i}2023年政府信息公开工作年度报告"
MARKUPS = {
    "li": lambda n: "<ul>" + "".join(f'<li><a href="./202401/t20240115_{i}.html">{T.format(i=i)}</a>'
                                     f'<span>2024-01-15</span></li>' for i in range(n)) + "</ul>",
    "dl/dd": lambda n: "<dl>" + "".join(f'<dd><a href="./202401/t20240115_{i}.htm" title="{T.format(i=i)}">短标题…</a>'
                                        f'</dd><dd>2024-01-15</dd>' for i in range(n)) + "</dl>",
    "table": lambda n: "<table>" + "".join(f'<tr><td><a href="/art/{i}.html">{T.format(i=i)}</a></td><td>2024-01-15</td>'
                                           f'</tr>' for i in range(n)) + "</table>",
    "flat div": lambda n: "<div><div>" + "".join(f'<a href="/a/{i}.html">{T.format(i=i)}</a> 2024-01-15<br>'
                                                 for i in range(n)) + "</div></div>",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="100,1000")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    sizes = [int(x) for x in a.rows.split(",")]
    print(f"{'markup':10s} " + " ".join(f"{n:>6d} rows (ms)" for n in sizes) + "   entries found")
    for name, make in MARKUPS.items():
        cells, found = [], []
        for n in sizes:
            r = HtmlResponse("http://x.gov.cn/zfxxgknb/index.html", encoding="utf-8",
                             body=f"<html><body>{make(n)}</body></html>".encode("utf-8"))
            best = float("inf")
            for _ in range(a.repeat):
                t = time.perf_counter()
                links = generic_links(r)
                generic_pages(r, {x.url for x in links})
                sub_lists(r, {x.url for x in links})
                best = min(best, time.perf_counter() - t)
            cells.append(best * 1000)
            found.append(f"{sum(1 for x in links if x.date)}/{n}")
        print(f"{name:10s} " + " ".join(f"{c:15.1f}" for c in cells) + "   " + ", ".join(found))


if __name__ == "__main__":
    main()
