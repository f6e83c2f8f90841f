"""Helpers for the crawler tests: run ``scrapy crawl`` in a subprocess against the
sample portals served by the test process (no test touches a real site)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

FAST = {
    "XXGK_ALLOW_PRIVATE_HOSTS": "1",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "RETRY_BACKOFF_BASE": "0.05",
    "DOWNLOAD_TIMEOUT": "10",
    "LOG_LEVEL": "INFO",
}


def crawl_cmd(registry: Path, db: Path, spider: str = "portals", args: dict | None = None,
              settings: dict | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"registry={registry}"]
    for k, v in (args or {}).items():
        cmd += ["-a", f"{k}={v}"]
    for k, v in {**FAST, "XXGK_DB": str(db), **(settings or {})}.items():
        cmd += ["-s", f"{k}={v}"]
    return cmd


def run_crawl(registry, db, spider="portals", args=None, settings=None, timeout=180) -> subprocess.CompletedProcess:
    r = subprocess.run(crawl_cmd(registry, db, spider, args, settings), cwd=REPO, capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr, r.stderr[-5000:]
    return r


def query(db, sql, *params):
    con = sqlite3.connect(db)
    if os.path.exists(f"{db}-search"):   # the search index's file (db/search_index.py)
        con.execute("ATTACH DATABASE ? AS xxgk_search", (f"{db}-search",))
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def last_run_stats(db) -> dict:
    (stats,), = query(db, "SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")
    return json.loads(stats)


def article_url(site, entry) -> str:
    """The URL a report is archived under: its final URL (a moved article's list URL is
    an alias)."""
    return site.url(entry.path)


def wait_for_reports(db: Path, n: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Until ``n`` reports are in the archive (the crawl still running), or ``timeout``."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.3)
        if db.exists():
            try:
                if query(db, "SELECT count(*) FROM reports")[0][0] >= n:
                    return
            except sqlite3.Error:
                pass       # the archive is being created
