"""Parser benchmark: reports/s, peak RSS, and the cost of a full parse relative to lxml.

Parses every HTML and text document in tests/fixtures/public/corpus (and the seed) and, side by
side in the same run, times a bare ``lxml.html.fromstring`` of the same bytes.

    python bench/parse.py [--rounds 20] [--shared tests/fixtures/public] [--also tests/fixtures/reports]

Targets (issue 2): median ratio full/lxml <= 5; >= 100 reports/s on one core.
The rate on run-together text dumps (tests/fixtures/shapes/runtogether_*.txt: every cell run
into the next, split again by the tables' identities) is reported on its own line (issue 12).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import lxml.html

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipelines import parse_document  # noqa: E402
from timing import best_of  # noqa: E402  (bench/ is on sys.path when run as a script)


def documents(shared: Path, also: list[Path]) -> list[Path]:
    docs = sorted(p for p in (shared / "corpus").rglob("*") if p.suffix in (".html", ".htm", ".txt"))
    docs += sorted((shared / "seed").glob("*.txt"))
    for folder in also:
        docs += sorted(p for p in folder.rglob("*") if p.suffix in (".html", ".txt"))
    return docs



def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO / "tests" / "fixtures" / "public")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--also", type=Path, nargs="*", default=[], help="more folders of documents")
    args = ap.parse_args()
    docs = documents(args.shared, args.also)
    if not docs:
        print(f"no documents under {args.shared}", file=sys.stderr)
        return 2
    blobs = [(p, p.read_bytes()) for p in docs]
    for _, data in blobs:          # warm up imports and caches
        parse_document(data)

    rows, ratios = [], []
    total_parse = 0.0
    for path, data in blobs:
        t_parse = best_of(lambda: parse_document(data), args.rounds)
        t_lxml = best_of(lambda: lxml.html.fromstring(data), args.rounds)
        total_parse += t_parse
        ratios.append(t_parse / t_lxml)
        rows.append((path.relative_to(path.parents[1]), len(data), t_parse, t_lxml))

    # throughput: the whole set parsed back to back, as a crawl would
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < 3:
        for _, data in blobs:
            parse_document(data)
            n += 1
    per_second = n / (time.perf_counter() - start)

    dumps = [p.read_bytes() for p in sorted((REPO / "tests" / "fixtures" / "shapes").glob("runtogether_*.txt"))]
    run_rate = None
    if dumps:
        start, m = time.perf_counter(), 0
        while time.perf_counter() - start < 3:
            for data in dumps:
                parse_document(data)
                m += 1
        run_rate = m / (time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"{'document':40} {'bytes':>8} {'parse ms':>9} {'lxml ms':>8} {'ratio':>6}")
    for name, size, tp, tl in rows:
        print(f"{str(name):40} {size:8d} {tp * 1000:9.2f} {tl * 1000:8.3f} {tp / tl:6.1f}")
    print()
    print(f"documents            {len(blobs)}")
    print(f"reports/s (1 core)   {per_second:.0f}      target >= 100")
    if run_rate is not None:
        print(f"run-together text    {run_rate:.0f} reports/s ({len(dumps)} dumps, tables split by their identities)")
    print(f"median ratio         {statistics.median(ratios):.2f}     target <= 5   (full parse / lxml.html.fromstring)")
    print(f"peak RSS             {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
