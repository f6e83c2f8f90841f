"""``xxgk doctor [--install]``: the optional system tools, whether each is here, and what it enables.

Python packages come with ``pip install -e '.[test]'``; these are Debian programs the archive
runs when it meets a file that needs them (DOC/WPS, scans) or that a feature starts itself
(redis-server for distributed crawls, Chromium for the browser tests). Without them the rest
works: a DOC is stored as ``unreadable`` naming LibreOffice, a scan as ``image_only`` naming
Tesseract, and the tests that need one skip naming it (``tests/tools.py``).

``--install`` installs the Debian packages of ``.ci/apt-packages.txt`` that are missing, with
``apt-get`` (through ``sudo`` when not root); run again, it installs nothing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from crawler.errors import UserError

REPO = Path(__file__).resolve().parents[1]
APT_PACKAGES = REPO / ".ci" / "apt-packages.txt"


@dataclass(frozen=True)
class Tool:
    key: str                      # what tests name: needs("libreoffice")
    name: str                     # what people call it
    programs: tuple[str, ...]     # any one of them on PATH will do
    version_args: tuple[str, ...]
    packages: tuple[str, ...]     # Debian packages that bring it
    enables: str


TOOLS: tuple[Tool, ...] = (
    Tool("libreoffice", "LibreOffice", ("soffice", "libreoffice"), ("--version",),
         ("libreoffice-writer-nogui",),
         "DOC and WPS reports and attachments (converted to DOCX, then read); without it they are "
         "stored as unreadable"),
    Tool("tesseract", "Tesseract + chi_sim", ("tesseract",), ("--version",),
         ("tesseract-ocr", "tesseract-ocr-chi-sim"),
         "OCR of scanned PDFs and images (Chinese needs the chi_sim data); without it a scan is "
         "stored as image_only"),
    Tool("poppler", "poppler (pdftoppm, pdftotext)", ("pdftoppm",), ("-v",), ("poppler-utils",),
         "rendering PDF pages for OCR, and pdftotext for PDFs pypdf cannot open"),
    Tool("redis", "redis-server", ("redis-server",), ("--version",), ("redis-server",),
         "distributed crawls (xxgk store-worker, XXGK_REDIS_URL) and their tests, on 127.0.0.1"),
    Tool("chromium", "Chromium", ("chromium",), ("--version",), ("chromium", "fonts-noto-cjk"),
         "the browser tests of the Datasette pages and dashboards (Playwright drives Debian's "
         "chromium; fonts-noto-cjk draws the Chinese)"),
)
BY_KEY = {t.key: t for t in TOOLS}


def which(tool: Tool) -> str | None:
    for prog in tool.programs:
        path = shutil.which(prog)
        if path:
            return path
    return None


def tesseract_languages(exe: str) -> list[str]:
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [x.strip() for x in out.splitlines()[1:] if x.strip()]


def missing_part(tool: Tool) -> str | None:
    """What of ``tool`` is missing (None: all there), in words that name the package."""
    exe = which(tool)
    if exe is None:
        return f"{' / '.join(tool.programs)} not on PATH (Debian: {' '.join(tool.packages)})"
    if tool.key == "tesseract" and "chi_sim" not in tesseract_languages(exe):
        return "Tesseract has no chi_sim data (Debian: tesseract-ocr-chi-sim)"
    return None


def present(key: str) -> bool:
    return missing_part(BY_KEY[key]) is None


def version(tool: Tool) -> str | None:
    exe = which(tool)
    if exe is None:
        return None
    try:
        res = subprocess.run([exe, *tool.version_args], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return "?"
    lines = [ln.strip() for ln in (res.stdout + "\n" + res.stderr).splitlines()
             if ln.strip() and not ln.lstrip().startswith("/")]   # chromium's wrapper prints shell noise
    return lines[0][:80] if lines else "?"


def apt_packages(path: Path = APT_PACKAGES) -> list[str]:
    """The Debian packages of ``.ci/apt-packages.txt`` (one a line, ``#`` comments)."""
    if not path.is_file():   # an installed egg without the repo: the packages the tools name
        return sorted({p for t in TOOLS for p in t.packages})
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.extend(line.split())
    return out


def dpkg_installed(package: str) -> bool:
    try:
        res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return res.returncode == 0 and res.stdout.strip().endswith(" installed")


def install_commands(missing: list[str], root: bool | None = None) -> list[list[str]]:
    """The apt-get command lines that install ``missing`` (none when nothing is missing)."""
    if not missing:
        return []
    root = (os.geteuid() == 0) if root is None else root
    sudo = [] if root else ["sudo"]
    env = ["env", "DEBIAN_FRONTEND=noninteractive"]
    return [[*sudo, "apt-get", "update", "-qq"],
            [*sudo, *env, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]]


def install(dry_run: bool = False, packages: list[str] | None = None, installed=dpkg_installed) -> int:
    if not shutil.which("apt-get") and not dry_run:
        raise UserError("apt-get not found: install these packages with your distribution's package manager: "
                        + " ".join(packages or apt_packages()))
    wanted = packages if packages is not None else apt_packages()
    missing = [p for p in wanted if not installed(p)]
    if not missing:
        print(f"xxgk doctor: all {len(wanted)} system packages already installed")
        return 0
    cmds = install_commands(missing)
    if cmds and cmds[0][0] == "sudo" and not shutil.which("sudo") and not dry_run:
        raise UserError("not root and no sudo: run as root: " + " && ".join(" ".join(c) for c in cmds))
    print(f"xxgk doctor: installing {len(missing)} package(s): {' '.join(missing)}", flush=True)
    for cmd in cmds:
        print("+ " + " ".join(cmd), flush=True)
        if not dry_run:
            rc = subprocess.call(cmd)
            if rc != 0:
                raise UserError(f"{' '.join(cmd)} exited with status {rc}")
    return 0


def report() -> list[dict]:
    rows = []
    for t in TOOLS:
        miss = missing_part(t)
        rows.append({"tool": t.name, "key": t.key, "present": miss is None, "path": which(t),
                     "version": version(t) if which(t) else None, "missing": miss,
                     "packages": list(t.packages), "enables": t.enables})
    return rows


def cmd_doctor(args) -> int:
    if getattr(args, "install", False):
        rc = install(dry_run=getattr(args, "dry_run", False))
        if getattr(args, "dry_run", False):
            return rc
    rows = report()
    for r in rows:
        state = f"yes  {r['version']}" if r["present"] else f"NO   {r['missing']}"
        print(f"{r['tool']:32s} {state}\n{'':32s} enables: {r['enables']}")
    absent = [r["tool"] for r in rows if not r["present"]]
    if absent:
        print(f"\n{len(absent)} optional tool(s) missing ({', '.join(absent)}): `xxgk doctor --install` "
              "installs them (Debian/Ubuntu, apt-get)")
    else:
        print("\nall optional tools present")
    return 1 if absent and getattr(args, "install", False) else 0


if __name__ == "__main__":  # pragma: no cover
    from crawler.cli import main
    sys.exit(main(["doctor", *sys.argv[1:]]))
