"""``xxgk parse PATH``: print one document's record as UTF-8 JSON."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from crawler.cli import UserError

from .decode import sniff
from .record import parse_document


def read_input(path: str) -> bytes:
    p = Path(path)
    if not p.exists():
        raise UserError(f"{path}: no such file")
    if p.is_dir():
        raise UserError(f"{path}: is a folder, not a file")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None


def cmd_parse(args) -> int:
    data = read_input(args.path)
    if not data.strip():
        raise UserError(f"{args.path}: empty file")
    kind = sniff(data)
    if kind == "binary":
        raise UserError(f"{args.path}: not a report document (HTML, text, PDF, DOC/DOCX/WPS or image)")
    record = parse_document(data, url=args.url, encoding=args.encoding)
    if record["kind"] == "unreadable":
        reason = record["warnings"][0] if record["warnings"] else "nothing could be read"
        raise UserError(f"{args.path}: {reason}")
    out = json.dumps(record, ensure_ascii=False, indent=1)
    sys.stdout.buffer.write(out.encode("utf-8") + b"\n")
    return 0
