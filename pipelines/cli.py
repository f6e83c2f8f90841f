"""``xxgk parse PATH``: print one document's record as UTF-8 JSON.

:func:`read_input` and :func:`accept` are what a saved file must pass to be parsed, shared
with ``xxgk load`` (db/cli.py), which stores exactly what ``xxgk parse`` accepts.
"""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

from crawler.cli import UserError

from .decode import sniff
from .record import parse_document

#: the largest file read, as for downloads (crawler/settings.py DOWNLOAD_MAXSIZE; a test holds
#: them equal): a saved file is not trusted more than a served one.
MAX_FILE_BYTES = 50 * 1024 * 1024


def read_input(path: str | Path, limit: int | None = None, follow_symlinks: bool = True) -> bytes:
    """A regular file's bytes, at most ``limit`` of them; UserError (one line) otherwise.
    Devices, FIFOs and sockets (``/dev/zero``) are refused without reading them."""
    limit = MAX_FILE_BYTES if limit is None else limit
    p = Path(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow_symlinks else os.O_NOFOLLOW)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as exc:
        if not follow_symlinks and p.is_symlink():
            raise UserError(f"{path}: a symbolic link, not followed") from None
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise UserError(f"{path}: is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise UserError(f"{path}: not a regular file (a device, pipe or socket is not read)")
        if st.st_size > limit:
            raise UserError(f"{path}: {st.st_size:,} bytes, over the {limit:,}-byte limit for a document")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(data) > limit:   # it grew while we read
        raise UserError(f"{path}: over the {limit:,}-byte limit for a document")
    return data


def accept(data: bytes, name: str, url: str | None = None, encoding: str | None = None) -> dict:
    """The record of a saved document, or UserError saying in one line why it is refused:
    empty, not a document (binary), or nothing could be read (``kind`` unreadable)."""
    if not data.strip():
        raise UserError(f"{name}: empty file")
    if sniff(data) == "binary":
        raise UserError(f"{name}: not a report document (HTML, text, PDF, DOC/DOCX/WPS or image)")
    record = parse_document(data, url=url, encoding=encoding)
    if record["kind"] == "unreadable":
        reason = record["warnings"][0] if record["warnings"] else "nothing could be read"
        raise UserError(f"{name}: {reason}")
    return record


def cmd_parse(args) -> int:
    data = read_input(args.path)
    record = accept(data, args.path, url=args.url, encoding=args.encoding)
    out = json.dumps(record, ensure_ascii=False, indent=1)
    sys.stdout.buffer.write(out.encode("utf-8") + b"\n")
    return 0
