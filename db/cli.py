"""``xxgk load`` and ``xxgk serve`` (argument definitions live in crawler/cli.py)."""
from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path

from crawler.cli import UserError

LOADABLE = {".html", ".htm", ".txt"}
METADATA = Path(__file__).resolve().parent.parent / "metadata.json"


def _warn(msg: str) -> None:
    print(f"xxgk load: {msg}", file=sys.stderr)


def iter_files(paths):
    """Loadable files under ``paths`` (files or folders, recursively), sorted; warns about the rest."""
    for p in map(Path, paths):
        if not p.exists():
            raise UserError(f"{p}: no such file or folder")
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            if f.suffix.lower() in LOADABLE:
                yield f
            else:
                _warn(f"skipping {f}: not .html, .htm or .txt")


def file_meta(path: Path, record: dict) -> dict:
    st = path.stat()
    fetched = _dt.datetime.fromtimestamp(int(st.st_mtime), _dt.timezone.utc).isoformat()
    return {
        # a saved file has no URL unless the page names one: a stable synthetic one
        "url": record.get("url") or path.resolve().as_uri(),
        "fetched_at": fetched,
        "encoding": record.get("encoding"),
        "content_type": "text/plain" if path.suffix.lower() == ".txt" else "text/html",
    }


def cmd_load(args) -> int:
    try:
        from pipelines import parse_document
    except ImportError as exc:  # pragma: no cover - the parser is part of the package
        raise UserError(f"the parser is not available: {exc}") from exc
    from .store import Archive

    files = list(iter_files(args.paths))
    archive = Archive(args.db)
    counts: dict[str, int] = {}
    failed = 0
    for f in files:
        data = f.read_bytes()
        try:
            record = parse_document(data, url=None)
        except Exception as exc:  # one bad file must not stop a load
            _warn(f"{f}: could not parse: {type(exc).__name__}: {exc}")
            failed += 1
            continue
        result = archive.store(record, data, file_meta(f, record))
        counts[result.status] = counts.get(result.status, 0) + 1
    # issue 7: regions, registry, agency links, cross-year checks and text reuse (db/register.py)
    from .register import DEFAULT_REGISTRY, refresh

    register = refresh(archive, registry=DEFAULT_REGISTRY)
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing stored"
    summary += (f"; cross-year checks: {register.get('checks', 0)}"
                f" ({register.get('fail', 0)} fail, {register.get('warn', 0)} warn)")
    print(f"{args.db}: {len(files)} file(s): {summary}" + (f", {failed} failed" if failed else ""))
    return 1 if failed else 0


def metadata_for(db: str | Path) -> dict:
    """metadata.json with its database ("archive") renamed to the served file's name."""
    import json

    text = METADATA.read_text(encoding="utf-8")
    meta = json.loads(text)
    name = Path(db).stem
    if name != "archive":
        meta["databases"] = {name: meta["databases"]["archive"]}
        for dash in meta.get("plugins", {}).get("datasette-dashboards", {}).values():
            for chart in dash.get("charts", {}).values():
                if chart.get("db") == "archive":
                    chart["db"] = name
    return meta


def datasette_argv(db: str, host: str = "127.0.0.1", port: int = 8001,
                   metadata_path: str | None = None) -> list[str]:
    argv = [
        "serve", str(db), "--host", host, "--port", str(port),
        "--setting", "sql_time_limit_ms", "3000",
        "--setting", "facet_time_limit_ms", "500",
        "--setting", "default_page_size", "50",
    ]
    if metadata_path:
        argv += ["--metadata", metadata_path]
    return argv


def register_plugin() -> None:
    from datasette.plugins import pm

    from . import datasette_plugin

    if not pm.is_registered(datasette_plugin) and pm.get_plugin("xxgk") is None:
        pm.register(datasette_plugin, name="xxgk")


def cmd_serve(args) -> int:
    db = Path(args.db)
    if not db.exists():
        raise UserError(f"{db}: no such archive (build one with `xxgk load PATH --db {db}`)")
    from .schema import open_archive

    # migrate before serving: Datasette opens the file read-only
    open_archive(db).close()
    register_plugin()
    import json
    import tempfile

    from datasette.cli import cli

    with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as tmp:
        metadata_path = None
        if METADATA.exists():
            metadata_path = str(Path(tmp) / "metadata.json")
            Path(metadata_path).write_text(
                json.dumps(metadata_for(db), ensure_ascii=False), encoding="utf-8"
            )
        else:
            print(f"xxgk serve: {METADATA} not found; serving without metadata", file=sys.stderr)
        try:
            cli.main(args=datasette_argv(str(db), args.host, args.port, metadata_path),
                     prog_name="xxgk serve", standalone_mode=False)
        except SystemExit as exc:  # pragma: no cover
            return int(exc.code or 0)
    return 0
