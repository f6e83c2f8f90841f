"""The crawler as a Scrapyd project: a real ``scrapyd`` on 127.0.0.1 (free port, temp
dirs), the project egg built and uploaded by ``scrapyd-deploy`` (scrapyd-client) from
``scrapy.cfg``'s ``[deploy:env]`` target, a crawl of the sample portals scheduled with
``schedule.json``, waited for, and the archive checked."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.sample_portals import SamplePortals
from tests.crawl_helpers import REPO, query
from tests.test_distributed import PORTALS, free_port, logs

pytest.importorskip("scrapyd")
scrapyd_client = pytest.importorskip("scrapyd_client")

SHIP = ["crawler", "pipelines", "db", "scrapy.cfg", "setup.py", "pyproject.toml", "README.md"]


def checkout(dest: Path) -> Path:
    """The files a deployment ships, copied as from a fresh clone (the egg's build
    directories then stay out of the working tree)."""
    dest.mkdir()
    for name in SHIP:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture()
def scrapyd(tmp_path):
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\n"
        "items_dir =\njobs_to_keep = 5\npoll_interval = 0.5\nmax_proc = 2\n", encoding="utf-8")
    log = open(tmp_path / "scrapyd.log", "w")
    exe = shutil.which("scrapyd")   # a dependency (pyproject.toml): its script, else its module
    proc = subprocess.Popen([exe] if exe else [sys.executable, "-m", "scrapyd"], cwd=home, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    client = scrapyd_client.ScrapydClient(url)
    deadline = time.time() + 30
    while True:
        try:
            if client.daemonstatus().get("status") == "ok":
                break
        except Exception:
            pass
        assert proc.poll() is None and time.time() < deadline, (tmp_path / "scrapyd.log").read_text()
        time.sleep(0.2)
    try:
        yield url, client, home
    finally:
        proc.terminate()
        proc.wait(20)


def test_scrapyd_deploy_schedule_and_archive(tmp_path, scrapyd):
    url, client, home = scrapyd
    src = checkout(tmp_path / "src")
    deploy = subprocess.run(["scrapyd-deploy", "env", "--version", "1"], cwd=src, capture_output=True, text=True,
                            env={**os.environ, "SCRAPYD_URL": url}, timeout=300)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert '"status": "ok"' in deploy.stdout, deploy.stdout
    assert client.projects() == ["xxgk"]
    assert "portals" in client.spiders("xxgk")           # the egg's spiders, listed by scrapyd

    with SamplePortals(sites=[*PORTALS, "blocked"]) as sp:   # the platform samples (layouts: test_crawl)
        registry = sp.write_registry(tmp_path / "portals.csv")
        db = tmp_path / "archive.db"
        settings = {"XXGK_DB": str(db), "XXGK_ALLOW_PRIVATE_HOSTS": "1", "DOWNLOAD_DELAY": "0",
                    "AUTOTHROTTLE_ENABLED": "0", "RETRY_BACKOFF_BASE": "0.05", "DOWNLOAD_TIMEOUT": "10"}
        job = client.schedule("xxgk", "portals", [("registry", str(registry))]
                              + [("setting", f"{k}={v}") for k, v in settings.items()])
        deadline = time.time() + 240
        while client.status(job, "xxgk").get("currstate") != "finished":
            assert time.time() < deadline, logs(tmp_path)
            time.sleep(0.5)
        joblog = next((home / "logs").rglob(f"{job}.log")).read_text("utf-8")
        assert "Traceback" not in joblog, joblog[-5000:]
        assert "'finish_reason': 'finished'" in joblog
        stored = {u for (u,) in query(db, "SELECT url FROM reports")}
        n_expected = sum(len(sp[k].expected_reports()) for k in PORTALS)
        assert len(stored) == n_expected
        for k in PORTALS:
            site = sp[k]
            want = {site.url(e.list_path or e.path) for e in site.expected_reports()}
            if k == "empire":   # the report at two URLs: one of them
                want = {u for u in want if "/bmnb/" not in u or site.alias.path not in u}
            assert len(want & stored) >= len(want) - 1, k
        (stats,), = query(db, "SELECT stats FROM crawl_runs")
        assert json.loads(stats)["xxgk/portals"]["sample-blocked"]["blocked"] == 1
