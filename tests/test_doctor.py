"""`xxgk doctor [--install]`, the skip helper, the CI rule that a skip fails, and `.ci/run` = README."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from crawler import doctor

REPO = Path(__file__).resolve().parent.parent


def xxgk(*args, env=None):
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(REPO), **(env or {})))


def path_without(tmp_path: Path, *programs: str) -> str:
    """A PATH of symbolic links to every program of this PATH but ``programs``."""
    bare = tmp_path / "bin"
    bare.mkdir(exist_ok=True)
    for d in os.environ["PATH"].split(os.pathsep):
        if not Path(d).is_dir():
            continue
        for prog in Path(d).iterdir():
            if prog.name not in programs and not (bare / prog.name).exists():
                (bare / prog.name).symlink_to(prog)
    return str(bare)


def test_doctor_lists_every_tool_and_what_it_enables(tmp_path):
    r = xxgk("doctor")
    assert r.returncode == 0, r.stderr
    for t in doctor.TOOLS:
        line = next(ln for ln in r.stdout.splitlines() if ln.startswith(t.name))
        assert re.search(r"\s(yes|NO)\s", line), line
        assert f"enables: {t.enables}" in r.stdout
    # LibreOffice hidden from PATH: named missing, with its package and the install command
    r = xxgk("doctor", env={"PATH": path_without(tmp_path, "soffice", "libreoffice")})
    lo = next(ln for ln in r.stdout.splitlines() if ln.startswith("LibreOffice"))
    assert "NO" in lo and "soffice / libreoffice not on PATH (Debian: libreoffice-writer-nogui)" in lo
    assert "missing (" in r.stdout and "LibreOffice" in r.stdout and "`xxgk doctor --install`" in r.stdout


def test_present_tools_show_their_version():
    for t in doctor.TOOLS:
        if doctor.which(t):
            v = doctor.version(t)
            assert v and v != "?" and re.search(r"\d", v), (t.name, v)


def test_install_is_idempotent_and_uses_the_ci_package_list(capsys):
    wanted = doctor.apt_packages()
    listed = [ln.split("#")[0].strip() for ln in (REPO / ".ci/apt-packages.txt").read_text("utf-8").splitlines()]
    assert wanted == [p for p in listed if p]
    assert {p for t in doctor.TOOLS for p in t.packages} <= set(wanted)   # every tool's package is installed by CI
    installed = set(wanted[:2])
    assert doctor.install(dry_run=True, installed=installed.__contains__) == 0
    out = capsys.readouterr().out
    missing = wanted[2:]
    assert f"installing {len(missing)} package(s): {' '.join(missing)}" in out
    assert "apt-get update -qq" in out and f"apt-get install -y -qq --no-install-recommends {' '.join(missing)}" in out
    # once they are there: nothing to do, no apt-get at all
    assert doctor.install(dry_run=True, installed=lambda p: True) == 0
    out = capsys.readouterr().out
    assert "already installed" in out and "apt-get" not in out
    assert doctor.install_commands(["redis-server"], root=False)[0][0] == "sudo"
    assert doctor.install_commands([], root=True) == []


def test_ci_run_is_the_readme_set_up():
    readme = (REPO / "README.md").read_text("utf-8")
    block = re.search(r"## Set-up\n\n```sh\n(.*?)```", readme, re.S).group(1)
    setup = [ln.split("#")[0].strip() for ln in block.splitlines() if ln.split("#")[0].strip()]
    assert setup[:3] == ["pip install -e '.[test]'", "xxgk doctor --install", "python -m pytest -q"]
    run = (REPO / ".ci/run").read_text("utf-8")
    commands = [ln.strip() for ln in run.splitlines()
                if ln.strip() and not ln.lstrip().startswith("#")
                and not ln.startswith(("set ", "cd ", "export "))]
    assert commands == setup[:3]
    assert 'export CI="${CI:-true}"' in run


def test_a_skip_names_the_tool_and_fails_in_ci(tmp_path):
    """tests/tools.py skips naming the tool; with CI set (tests/conftest.py) that skip fails,
    and so does a module-level skip."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import (pytest_collectreport, pytest_runtest_makereport,"
                                          " pytest_sessionfinish, pytest_terminal_summary)  # noqa: F401\n", "utf-8")
    (tmp_path / "test_needs.py").write_text(
        "from tests.tools import needs, require\n"
        "@needs('libreoffice')\n"
        "def test_mark(): pass\n"
        "def test_call():\n    require('redis')\n", "utf-8")
    (tmp_path / "test_module.py").write_text("import pytest\npytest.importorskip('no_such_module_xyz')\n"
                                             "def test_x(): pass\n", "utf-8")
    bare = path_without(tmp_path, "soffice", "libreoffice", "redis-server")

    def run(ci):
        env = dict(os.environ, PYTHONPATH=str(REPO), PATH=bare)
        env.pop("CI", None)
        if ci:
            env["CI"] = "true"
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:randomly",
                               str(tmp_path)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)

    local = run(ci=False)
    assert local.returncode == 0, local.stdout[-2000:]
    assert "3 skipped" in local.stdout
    assert "needs LibreOffice: soffice / libreoffice not on PATH (Debian: libreoffice-writer-nogui)" in local.stdout
    assert "needs redis-server: redis-server not on PATH (Debian: redis-server)" in local.stdout
    ci = run(ci=True)
    assert ci.returncode != 0
    # the mark's skip comes at set-up (an error), require()'s in the call (a failure)
    assert ci.returncode == 1 and "1 failed, 1 skipped, 1 error" in ci.stdout.splitlines()[-1], ci.stdout[-2000:]
    assert ci.stdout.count("skipped in CI (CI=true), where nothing may skip: Skipped: needs") == 2, ci.stdout[-3000:]
    assert "module skipped in CI, where nothing may skip: test_module.py" in ci.stdout
