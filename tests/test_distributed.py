"""Distributed crawls (crawler/distributed.py): three crawler processes share one crawl
of the sample portals through a real ``redis-server`` on 127.0.0.1; one
``xxgk store-worker`` is the archive's only writer."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter

import pytest

from crawler.sample_portals import SamplePortals
from tests.crawl_helpers import REPO, crawl_cmd, query
from tests.tools import require

PORTALS = ["trs", "hanweb", "gkmlpt", "epoint", "empire", "phpcms", "vsb"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def redis_url(tmp_path):
    require("redis")
    exe = shutil.which("redis-server")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path), "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis
    r = redis.Redis(port=port)
    for _ in range(100):
        try:
            r.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def start_store_worker(redis_url, db, tmp_path):
    log = open(tmp_path / "store-worker.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "store-worker", "--redis", redis_url,
                             "--db", str(db), "--timeout", "240"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    import redis
    r = redis.Redis.from_url(redis_url)
    deadline = time.time() + 30
    while r.get("xxgk:portals:state") != b"open":
        assert proc.poll() is None and time.time() < deadline, (tmp_path / "store-worker.log").read_text()
        time.sleep(0.1)
    return proc


def start_workers(n, registry, redis_url, tmp_path, settings=None):
    procs = []
    for i in range(n):
        cmd = crawl_cmd(registry, tmp_path / "unused.db", settings={
            "XXGK_REDIS_URL": redis_url, "XXGK_REDIS_HEARTBEAT_TTL": "3", **(settings or {})})
        log = open(tmp_path / f"worker{i}.log", "w")
        procs.append(subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    return procs


def expected_urls(sp) -> set[str]:
    out = set()
    for k in PORTALS:
        site = sp[k]
        out |= {site.url(e.path) for e in site.expected_reports()}   # a moved one: its final URL
    return out


def check_archive(sp, db):
    """Exactly the sample portals' reports, each stored once."""
    stored = {u for (u,) in query(db, "SELECT url FROM reports")}
    empire = sp["empire"]
    twins = {empire.url(empire.alias.path), empire.url(empire.alias.path.replace("/xznb/", "/bmnb/"))}
    assert len(twins & stored) == 1                       # one report at two URLs: archived once
    assert stored - twins == expected_urls(sp) - twins
    n_reports = query(db, "SELECT count(*) FROM reports")[0][0]
    assert query(db, "SELECT count(*) FROM versions")[0][0] == n_reports   # no report stored twice
    assert query(db, "SELECT count(*) FROM crawl_runs")[0][0] == 1         # one run for the whole crawl
    (stats,), = query(db, "SELECT stats FROM crawl_runs")
    return json.loads(stats)


def fetched_twice(sp, allowed_statuses=(500,)) -> dict:
    dup = {}
    for k, site in sp.sites.items():
        seen = Counter((r["method"], r["path"]) for r in site.log
                       if r["status"] not in allowed_statuses and r["path"] != "/robots.txt")
        dup.update({(k, *key): v for key, v in seen.items() if v > 1})
    return dup


def logs(tmp_path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(tmp_path.glob("*.log")))


def test_three_workers_share_one_crawl(tmp_path, redis_url):
    with SamplePortals(sites=[*PORTALS, "blocked"]) as sp:   # the platform samples (layouts: test_crawl)
        registry = sp.write_registry(tmp_path / "portals.csv")
        db = tmp_path / "archive.db"
        store = start_store_worker(redis_url, db, tmp_path)
        # Eight small portals: a worker takes up to CONCURRENT_REQUESTS requests off the shared
        # queue at once (64 by default, sized for thousands of portals — then every site's queue
        # is short), so one fast starter could take the whole sample crawl. Eight at a time and a
        # small delay per site leave work for every worker.
        workers = start_workers(3, registry, redis_url, tmp_path,
                                settings={"CONCURRENT_REQUESTS": "8", "DOWNLOAD_DELAY": "0.3"})
        for w in workers:
            assert w.wait(240) == 0, logs(tmp_path)
        assert store.wait(120) == 0, logs(tmp_path)
        assert "Traceback" not in logs(tmp_path), logs(tmp_path)
        stats = check_archive(sp, db)
        assert not fetched_twice(sp)                      # the shared duplicate filter, list pages included
        assert len(stats["xxgk/distributed/workers"]) == 3 and not stats["xxgk/distributed/workers_lost"]
        per_worker = stats["xxgk/distributed/requests_per_worker"]
        # the work was shared: a worker that starts late on a loaded machine may find the small
        # sample crawl already taken, so sharing means at least two workers fetched pages
        assert len(per_worker) == 3 and sum(1 for n in per_worker.values() if n > 0) >= 2, per_worker
        # the run's per-portal summary is the sum of the workers': same as a one-process crawl's
        assert stats["xxgk/portals"]["sample-blocked"]["blocked"] >= 1
        assert sum(s["reports"] for s in stats["xxgk/portals"].values()) >= len(expected_urls(sp))
        # the crawl-health checks ran on the merged run
        (alerts,), = query(db, "SELECT alerts FROM crawl_runs")
        assert [a["portal"] for a in json.loads(alerts) if a["check"] == "blocked"] == ["sample-blocked"]
        # the store-worker wrote the portals table: each portal's best verdict over the workers
        # (a worker that never got one of its requests would say no_column)
        assert dict(query(db, "SELECT id, status FROM portals")) == {
            **{f"sample-{k}": "ok" for k in PORTALS}, "sample-blocked": "blocked"}
        assert all(json.loads(c) for (c,) in query(db, "SELECT columns FROM portals WHERE status = 'ok'"))


def test_worker_killed_mid_crawl_others_finish(tmp_path, redis_url):
    with SamplePortals(sites=[*PORTALS, "blocked"]) as sp:   # the platform samples (layouts: test_crawl)
        registry = sp.write_registry(tmp_path / "portals.csv")
        db = tmp_path / "archive.db"
        store = start_store_worker(redis_url, db, tmp_path)
        # slower, so that the kill lands in the middle of the crawl
        workers = start_workers(3, registry, redis_url, tmp_path, settings={"DOWNLOAD_DELAY": "0.15"})
        victim = workers[0]
        deadline = time.time() + 60
        while sum(len(s.log) for s in sp.sites.values()) < 60:
            assert time.time() < deadline, logs(tmp_path)
            time.sleep(0.05)
        n_before_kill = sum(len(s.log) for s in sp.sites.values())
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        for w in workers[1:]:
            assert w.wait(240) == 0, logs(tmp_path)
        assert store.wait(120) == 0, logs(tmp_path)
        total = sum(len(s.log) for s in sp.sites.values())
        assert total > n_before_kill + 20                 # the kill was mid-crawl: most work came after
        stats = check_archive(sp, db)                     # nothing lost, nothing stored twice
        lost = stats["xxgk/distributed/workers_lost"]
        assert len(lost) == 1 and f"-{victim.pid}-" in lost[0]
        # only what the victim had in flight (at most CONCURRENT_REQUESTS) was fetched again
        again = fetched_twice(sp)
        assert sum(v - 1 for v in again.values()) <= 8, again
        # health: the lost worker is an alert; its portals are not reported empty (its last snapshot counts)
        (alerts,), = query(db, "SELECT alerts FROM crawl_runs")
        checks = {(a["check"], a["portal"]) for a in json.loads(alerts)}
        assert checks == {("workers_lost", None), ("blocked", "sample-blocked")}, checks
