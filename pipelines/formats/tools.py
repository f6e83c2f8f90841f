"""External programs (pdftoppm, tesseract, LibreOffice) run with a timeout and a memory cap."""
from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
from dataclasses import dataclass


@dataclass
class Result:
    ok: bool
    stdout: bytes = b""
    error: str | None = None   # why it failed: timeout, exit status, stderr tail


def which(name: str) -> str | None:
    return shutil.which(name)


def run(argv: list[str], timeout: float, memory: int | None = None, cwd: str | None = None,
        env: dict | None = None) -> Result:
    """Run argv in its own process group; the whole group is killed on timeout."""
    def limit():
        if memory:
            try:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            except (ValueError, OSError):
                pass

    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=cwd, env=env, start_new_session=True,
                                preexec_fn=limit)
    except OSError as exc:
        return Result(False, error=f"{argv[0]} could not start ({exc.strerror or exc})")
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        return Result(False, error=f"{os.path.basename(argv[0])} timed out after {timeout:.0f} s")
    finally:
        if proc.poll() is None:
            _kill_group(proc)
            proc.wait()
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
        why = f"{os.path.basename(argv[0])} exited with status {proc.returncode}"
        return Result(False, out, why + (f": {tail[0][:200]}" if tail else ""))
    return Result(True, out)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
