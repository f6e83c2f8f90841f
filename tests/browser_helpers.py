"""What the browser tests share: Debian's chromium, a free port, `xxgk serve` started and stopped."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.tools import needs

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("XXGK_CHROMIUM", "/usr/bin/chromium")
# XXGK_CHROMIUM may name another build; else Debian's (tests/tools.py names what is missing)
needs_chromium = pytest.mark.skipif(False, reason="") if Path(CHROMIUM).exists() else needs("chromium")
CLI = [sys.executable, "-m", "crawler.cli"]


def cli_env() -> dict:
    return dict(os.environ, PYTHONPATH=str(REPO))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(db: Path, tries: int = 150):
    """`xxgk serve --db DB` on a free port; yields its base URL once it answers."""
    port = free_port()
    proc = subprocess.Popen([*CLI, "serve", "--db", str(db), "--port", str(port)], env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(tries):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stdout.read().decode())
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def launch_chromium(playwright):
    """Debian's chromium, headless, driven by playwright (no `playwright install`)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
        headless=True,
        args=["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"],
    )


def dashboard_sql(query: str, params: dict) -> str:
    """A datasette-dashboards chart query as the plugin runs it (its own
    ``replace_opts_in_query``): each ``[[ … :name … ]]`` block is kept, brackets removed, when
    that parameter is given (not empty), else dropped."""
    from datasette_dashboards import replace_opts_in_query

    return replace_opts_in_query(query, {k: v for k, v in params.items() if v})
