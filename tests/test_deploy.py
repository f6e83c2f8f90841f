"""deploy/: the crontab line and the systemd service + timer. The test runs exactly the
command they contain (parsed out of the files; only the variables the files define are
given test values) against the sample portals."""
from __future__ import annotations

import fcntl
import os
import re
import shlex
import shutil
import subprocess
import sysconfig
import time

import pytest

from crawler.sample_portals import SamplePortals
from tests.crawl_helpers import REPO, query

DEPLOY = REPO / "deploy"
SITES = ["trs", "hanweb", "gkmlpt", "epoint", "empire", "phpcms", "vsb"]   # not the blocked one: no alert


def parse_crontab():
    env, jobs = {}, []
    for line in (DEPLOY / "crontab").read_text("utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^([A-Z_]+)=(.*)$", line)
        if m:
            env[m.group(1)] = m.group(2)
            continue
        fields = line.split(None, 5)
        jobs.append((" ".join(fields[:5]), fields[5]))
    return env, jobs


def parse_unit(name):
    out: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text("utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def systemd_expand(cmdline: str, env: dict[str, str]) -> list[str]:
    """systemd's rules: ${VAR} is substituted inside a word, a lone $VAR word is split at spaces."""
    out = []
    for word in shlex.split(cmdline):
        if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", word):
            out += env.get(word[1:], "").split()
        else:
            out.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), word))
    return out


def test_schedule_daily_in_report_season_weekly_otherwise():
    env, jobs = parse_crontab()
    assert [s for s, _ in jobs] == ["17 3 * 1-4 *", "17 3 * 5-12 1", "47 4 * * 0"]
    assert jobs[0][1] == jobs[1][1]                            # one command, two schedules
    # Sundays, after the crawl and under its lock: the search index merged (xxgk optimize)
    assert "optimize --db" in jobs[2][1] and 'flock -n "$XXGK_HOME/crawl.lock"' in jobs[2][1]
    cmd = jobs[0][1]
    assert "flock -n" in cmd and "--db" in cmd and "crawl.log" in cmd
    unit = parse_unit("xxgk-crawl.service")
    assert "flock -n" in unit["ExecStart"][0] and unit["Type"] == ["oneshot"]
    timer = parse_unit("xxgk-crawl.timer")
    assert timer["OnCalendar"] == ["*-01..04-* 03:17:00", "Mon *-05..12-* 03:17:00"]
    if shutil.which("systemd-analyze"):
        for spec in timer["OnCalendar"]:
            r = subprocess.run(["systemd-analyze", "calendar", spec], capture_output=True, text=True)
            assert r.returncode == 0 and "Normalized form" in r.stdout, r.stderr


@pytest.fixture()
def portals(tmp_path):
    with SamplePortals(sites=SITES) as sp:
        registry = sp.write_registry(tmp_path / "portals.csv")
        yield sp, registry


def test_cron_and_systemd_commands_crawl_the_sample_portals(tmp_path, portals):
    sp, registry = portals
    home = tmp_path / "srv"
    home.mkdir()
    test_env = {
        "XXGK_HOME": str(home),
        "XXGK_BIN": sysconfig.get_path("scripts"),          # where `pip install` put xxgk
        "XXGK_CRAWL_OPTIONS": f"-a registry={registry} -s XXGK_ALLOW_PRIVATE_HOSTS=1 -s DOWNLOAD_DELAY=0 "
                              "-s AUTOTHROTTLE_ENABLED=0 -s RETRY_BACKOFF_BASE=0.05",
    }
    assert os.path.exists(os.path.join(test_env["XXGK_BIN"], "xxgk"))
    db = home / "archive.db"

    # 1. cron: the crontab's command line, run by /bin/sh with the crontab's variables
    cron_env, jobs = parse_crontab()
    assert set(cron_env) >= {"XXGK_HOME", "XXGK_BIN", "XXGK_CRAWL_OPTIONS"}
    env = {**os.environ, **cron_env, **test_env}
    r = subprocess.run(["/bin/sh", "-c", jobs[0][1]], env=env, cwd=tmp_path, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, (r.stderr, (home / "logs" / "cron.log").read_text()[-3000:])
    expected = {sp[k].url(e.path) for k in SITES for e in sp[k].expected_reports()}   # a moved one: its final URL
    stored = {u for (u,) in query(db, "SELECT url FROM reports")}
    empire = sp["empire"]
    twins = {empire.url(empire.alias.path), empire.url(empire.alias.path.replace("/xznb/", "/bmnb/"))}
    assert stored - twins == expected - twins and len(stored & twins) == 1
    assert "Spider closed (finished)" in (home / "logs" / "crawl.log").read_text("utf-8")
    assert query(db, "SELECT alert_count FROM crawl_runs") == [(0,)]

    # 2. the lock: while a crawl holds it, the next one exits at once without crawling
    with open(home / "crawl.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        t = time.time()
        r = subprocess.run(["/bin/sh", "-c", jobs[1][1]], env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 1 and time.time() - t < 20
    assert query(db, "SELECT count(*) FROM crawl_runs") == [(1,)]

    # the weekly optimize: the crontab's line, on the archive the crawl made
    r = subprocess.run(["/bin/sh", "-c", jobs[2][1]], env=env, cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "merged into one segment per table" in (home / "logs" / "cron.log").read_text("utf-8")
    assert query(db, "SELECT count(DISTINCT segid) FROM search_text_idx") == [(1,)]

    # 3. systemd: ExecStartPre + ExecStart of the service, expanded as systemd does (no shell)
    unit = parse_unit("xxgk-crawl.service")
    uenv = dict(e.split("=", 1) for e in unit["Environment"])
    assert set(uenv) >= {"XXGK_HOME", "XXGK_BIN", "XXGK_CRAWL_OPTIONS"}
    uenv.update(test_env)
    shutil.rmtree(home / "logs")
    for line in unit.get("ExecStartPre", []) + unit["ExecStart"]:
        r = subprocess.run(systemd_expand(line, uenv), env={**os.environ, **uenv}, cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
    assert query(db, "SELECT count(*), sum(alert_count) FROM crawl_runs WHERE finished IS NOT NULL") == [(2, 0)]
    assert {u for (u,) in query(db, "SELECT url FROM reports")} == stored          # incremental: nothing new
    assert query(db, "SELECT count(*) FROM versions")[0][0] == len(stored)
