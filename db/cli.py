"""``xxgk load`` and ``xxgk serve`` (argument definitions live in crawler/cli.py)."""
from __future__ import annotations

import datetime as _dt
import functools
import json
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


def _sidecar_url(entry) -> str | None:
    if not isinstance(entry, dict):
        return None
    for d in (entry, entry.get("source") if isinstance(entry.get("source"), dict) else {}):
        for key in ("original_url", "url"):
            if isinstance(d.get(key), str) and d[key].startswith(("http://", "https://")):
                return d[key]
    return None


@functools.lru_cache(maxsize=256)
def _manifest(folder: Path) -> dict:
    """{absolute file path: URL} from ``folder/manifest.json`` (a list of {"file": ...} entries)."""
    p = folder / "manifest.json"
    try:
        entries = json.loads(p.read_text(encoding="utf-8")) if p.is_file() else []
    except (OSError, ValueError):
        _warn(f"ignoring {p}: not readable JSON")
        return {}
    if isinstance(entries, dict):
        entries = entries.get("files") or list(entries.values())
    out = {}
    for e in entries if isinstance(entries, list) else []:
        url = _sidecar_url(e)
        if url and isinstance(e.get("file"), str):
            out[str((folder / e["file"]).resolve())] = url
    return out


def original_url(path: Path) -> str | None:
    """The URL a saved file was published at, when a sidecar says so: ``NAME.source.json`` next
    to it ("original_url" or "url", at the top or under "source"), or a ``manifest.json`` in its
    folder or any folder above whose entry's "file" is this file."""
    path = path.resolve()
    side = path.with_name(path.stem + ".source.json")
    if side.is_file():
        try:
            url = _sidecar_url(json.loads(side.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            url = None
        if url:
            return url
    for folder in path.parents:
        url = _manifest(folder).get(str(path))
        if url:
            return url
    return None


def file_meta(path: Path, record: dict, url: str | None = None) -> dict:
    st = path.stat()
    fetched = _dt.datetime.fromtimestamp(int(st.st_mtime), _dt.timezone.utc).isoformat()
    return {
        # a saved file: the URL a sidecar gives, else the one the page names, else a stable
        # synthetic one
        "url": url or record.get("url") or path.resolve().as_uri(),
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
    stored: set[int] = set()
    for f in files:
        data = f.read_bytes()
        url = original_url(f)
        try:
            record = parse_document(data, url=url)
        except Exception as exc:  # one bad file must not stop a load
            _warn(f"{f}: could not parse: {type(exc).__name__}: {exc}")
            failed += 1
            continue
        result = archive.store(record, data, file_meta(f, record, url))
        counts[result.status] = counts.get(result.status, 0) + 1
        stored.add(result.report_id)
    archive.flush_index()
    # issue 7: regions, registry, agency links, cross-year checks and text reuse (db/register.py)
    from .register import DEFAULT_REGISTRY, refresh

    agency_ids = {a for r in stored for (a,) in archive.db.execute(
        "SELECT agency_id FROM reports WHERE id = ? AND agency_id IS NOT NULL", (r,))}
    register = refresh(archive, registry=DEFAULT_REGISTRY, agency_ids=agency_ids)
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing stored"
    summary += (f"; cross-year checks: {register.get('checks', 0)}"
                f" ({register.get('fail', 0)} fail, {register.get('warn', 0)} warn)")
    print(f"{args.db}: {len(files)} file(s): {summary}" + (f", {failed} failed" if failed else ""))
    return 1 if failed else 0


def cmd_reparse(args) -> int:
    """Re-derive sections, cells and checks of stored versions with the current parser."""
    db = Path(args.db)
    if not db.exists():
        raise UserError(f"{db}: no such archive")
    from pipelines import PARSER_VERSION

    from .store import Archive

    archive = Archive(db)
    ids = None if not args.all else [v for (v,) in archive.db.execute("SELECT id FROM versions ORDER BY id")]
    if ids is None:
        ids = archive.outdated_versions(PARSER_VERSION)
    result = archive.reparse(version_ids=ids, progress=_warn)
    archive.close()
    print(f"{db}: {result['reparsed']} version(s) re-parsed with parser {PARSER_VERSION}"
          + (f", {result['failed']} failed" if result["failed"] else ""))
    return 1 if result["failed"] else 0


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


#: Datasette settings of ``xxgk serve``. Suggested facets are off: Datasette would try every
#: column of a 100,000-row table on every page view; the reports page links the useful facets.
SERVE_HEAP_LIMIT_MB = 512   # SQLite's heap in `xxgk serve` (db.datasette_plugin.bound_connection)
SERVE_SETTINGS = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    "default_page_size": 50,
    "suggest_facets": False,
}


def datasette_argv(db: str, host: str = "127.0.0.1", port: int = 8001,
                   metadata_path: str | None = None) -> list[str]:
    argv = ["serve", str(db), "--host", host, "--port", str(port)]
    for key, value in SERVE_SETTINGS.items():
        argv += ["--setting", key, ("on" if value else "off") if isinstance(value, bool) else str(value)]
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
    from . import datasette_plugin
    datasette_plugin.HEAP_LIMIT_MB = SERVE_HEAP_LIMIT_MB   # SQLite's heap: a query past it fails fast
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
