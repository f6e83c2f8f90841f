"""Break each promise of tests/test_promises.py on purpose, run its test, see it fail, revert.

    PYTHONPATH=$PWD python tests/promise_breaks.py

Each break is a literal edit of the code (the source must still contain the text; when a
refactor moves it, update the pair here). Every line must end "failed"; the files are restored
whatever happens. Not collected by pytest (no test_ prefix).
"""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BREAKS = [
 ("pipelines/checks.py", "    if bad:\n        return _check(name, \"fail\", \"; \".join(bad))\n    return _check(name, \"pass\", summary)", "    if False:\n        return _check(name, \"fail\", \"; \".join(bad))\n    return _check(name, \"pass\", summary)", 1, "balance"),
 ("pipelines/tables.py", 'if table.raw[block]["total"] == "" and parts:', 'if table.raw[block]["total"] == "" and parts and False:', 1, "table4"),
 ("pipelines/tables.py", 'if raw["total"] == "" and any(row[c] for c in parts):', 'if False:', 1, "table3"),
 ("crawler/spiders/base.py", "    def on_article(self, response: Response, portal_id: str, link: Link, list_url: str, column: str):\n        portal, blocked = self.answering_portal(response, portal_id)", "    def on_article(self, response: Response, portal_id: str, link: Link, list_url: str, column: str):\n        portal, blocked = self.portal(portal_id), None", 1, "challenge"),
 ("crawler/spiders/base.py", "if counter and counter in self.counter_values:", "if False:", 1, "counter"),
 ("pipelines/metadata.py", 'if _WEEKDAY_AFTER.match(v[m.end():]) and not m.group("H"):', 'if False:', 1, "rendered_date"),
 ("db/store.py", "                if vid == current:", "                if True:", 1, "older_version"),
 ("db/coverage.py", "'found_undated'\n       WHEN publish_date > deadline THEN 'late'", "'found_undated'\n       WHEN publish_date >= deadline THEN 'late'", 1, "deadline"),
]
uncaught = 0
for path, old, new, n, k in BREAKS:
    path = REPO / path
    src = open(path, encoding="utf-8").read()
    assert src.count(old) == n, (path, old[:60], src.count(old))
    open(path, "w", encoding="utf-8").write(src.replace(old, new))
    try:
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_promises.py", "-k", k],
                           capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=900, cwd=REPO)
        last = r.stdout.strip().splitlines()[-1]
        uncaught += "failed" not in last
        print(f"{k:15s} break -> {last}")
    finally:
        open(path, "w", encoding="utf-8").write(src)
sys.exit(1 if uncaught else 0)
