"""``xxgk load`` and ``xxgk serve`` (argument definitions live in crawler/cli.py)."""
from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import sys
from pathlib import Path

from crawler.cli import UserError

LOADABLE = {".html", ".htm", ".txt"}
#: what a named file's format is stored as (reparse hands it back to the parser)
CONTENT_TYPES = {"text": "text/plain", "html": "text/html", "pdf": "application/pdf",
                 "zip": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "ole": "application/msword", "doc": "application/msword", "image": "image/png"}
METADATA = Path(__file__).resolve().parent.parent / "metadata.json"


def _warn(msg: str) -> None:
    print(f"xxgk load: {msg}", file=sys.stderr)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def iter_files(paths):
    """(path, None, named) for each file to load under ``paths``, or (path, reason, named) for
    one refused; ``named``: given on the command line (read even through a symbolic link).

    A file named on the command line is tried whatever its name (as ``xxgk parse`` would); in a
    folder (recursively, sorted) the .html, .htm and .txt files are, and the rest is skipped
    with a line each. A folder is never left: symbolic links that point out of it are refused,
    links to folders are not descended (a link inside the folder reaches what the walk reaches
    anyway), and what is not a regular file (device, FIFO, socket) is refused unread."""
    for p in map(Path, paths):
        if not p.exists() and not p.is_symlink():
            raise UserError(f"{p}: no such file or folder")
        if not p.is_dir():
            yield p, None, True
            continue
        root = p.resolve()
        found = []
        for folder, dirs, names in os.walk(p, followlinks=False):
            for d in list(dirs):
                if os.path.islink(os.path.join(folder, d)):
                    dirs.remove(d)
                    target = Path(folder, d).resolve()
                    if not _inside(target, root):
                        found.append((Path(folder, d), f"a symbolic link out of {p} (to {target}), not followed"))
            found += [(Path(folder, n), None) for n in names]
        seen: set[Path] = set()
        for f, why in sorted(found, key=lambda x: str(x[0])):
            if why is None and f.is_symlink():
                target = f.resolve()
                if not _inside(target, root):
                    why = f"a symbolic link out of {p} (to {target}), not followed"
                elif target in seen or not target.exists():
                    continue
                else:
                    f = target   # read the file itself (never through a link)
            if why is None and f.resolve() in seen:
                continue
            if why is None and f.suffix.lower() not in LOADABLE:
                _warn(f"skipping {f}: not .html, .htm or .txt")
                continue
            if why is None:
                seen.add(f.resolve())
            yield f, why, False


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
        "content_type": CONTENT_TYPES.get(record.get("format"))
        or ("text/plain" if path.suffix.lower() == ".txt" else "text/html"),
    }


def cmd_load(args) -> int:
    """``xxgk parse`` + store: each file must pass what ``xxgk parse`` accepts (pipelines/cli.py);
    a refused file gets one line on stderr and the load goes on with the rest."""
    from pipelines.cli import accept, read_input

    from .store import Archive

    files = list(iter_files(args.paths))
    archive = Archive(args.db)
    counts: dict[str, int] = {}
    refused = 0
    stored: set[int] = set()
    for f, why, named in files:
        try:
            if why:
                raise UserError(f"{f}: {why}")
            url = original_url(f)
            data = read_input(f, follow_symlinks=named)   # in a folder: a file swapped for a link is refused
            record = accept(data, str(f), url=url)
            result = archive.store(record, data, file_meta(f, record, url))
        except UserError as exc:
            _warn(f"refused {exc}")
            refused += 1
            continue
        except Exception as exc:  # one bad file must not stop a load
            _warn(f"refused {f}: {type(exc).__name__}: {exc}")
            refused += 1
            continue
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
    print(f"{args.db}: {len(files)} file(s): {summary}" + (f", {refused} refused" if refused else ""))
    return 1 if refused else 0


#: words in a version's warnings -> the tool (crawler/doctor.py key) whose absence they report
TOOL_WORDS = {"LibreOffice": "libreoffice", "soffice": "libreoffice", "tesseract": "tesseract",
              "Tesseract": "tesseract", "chi_sim": "tesseract", "pdftoppm": "poppler"}


def waiting_for(warnings: str) -> list[str]:
    """The doctor keys of the tools a version's warnings say were missing and still are."""
    from crawler import doctor

    keys = {k for word, k in TOOL_WORDS.items() if word in warnings and "not installed" in warnings
            or word == "chi_sim" and "no chi_sim data" in warnings}
    return sorted(k for k in keys if not doctor.present(k))


def cmd_reparse(args) -> int:
    """Re-derive sections, cells and checks of stored versions with the current parser: those
    from another parser version, and those nothing (or too little) was read from — unreadable,
    image_only, or a format not read for lack of a tool — that a newly installed tool may read."""
    db = Path(args.db)
    if not db.exists():
        raise UserError(f"{db}: no such archive")
    from crawler import doctor
    from pipelines import PARSER_VERSION

    from .store import Archive

    archive = Archive(db)
    waiting: dict[str, int] = {}
    if args.all:
        result = archive.reparse(version_ids=[v for (v,) in archive.db.execute("SELECT id FROM versions")],
                                 progress=_warn)
        line = f"{db}: {result['reparsed']} version(s) re-parsed with parser {PARSER_VERSION}"
    else:
        outdated = archive.outdated_versions(PARSER_VERSION)
        unread = []
        for vid, warnings in archive.unread_versions():
            still = waiting_for(warnings)
            if vid in outdated:
                continue
            if still:   # the tool is still missing: re-parsing would give the same again
                for k in still:
                    waiting[k] = waiting.get(k, 0) + 1
            else:
                unread.append(vid)
        r_old = archive.reparse(version_ids=outdated, progress=_warn)
        r_unread = archive.reparse(version_ids=unread, progress=_warn)
        result = {k: r_old[k] + r_unread[k] for k in r_old}
        line = (f"{db}: {result['reparsed']} version(s) re-parsed with parser {PARSER_VERSION}: "
                f"{r_old['reparsed']} from another parser version, {r_unread['reparsed']} unreadable or "
                f"not read for lack of a tool ({r_unread['readable']} of them now readable)")
    archive.close()
    if result["failed"]:
        line += f", {result['failed']} failed"
    print(line)
    for key, n in sorted(waiting.items()):
        tool = doctor.BY_KEY[key]
        print(f"{n} version(s) still wait for {tool.name} ({' '.join(tool.packages)}): "
              "`xxgk doctor --install`, then `xxgk reparse`")
    return 1 if result["failed"] else 0


def metadata_for(db: str | Path) -> dict:
    """metadata.json with its database ("archive") renamed to the served file's name."""
    import json

    text = METADATA.read_text(encoding="utf-8")
    meta = json.loads(text)
    name = Path(db).stem
    if name != "archive":
        meta["databases"] = {name: meta["databases"]["archive"]}
        meta["description_html"] = meta.get("description_html", "").replace(
            'href="/archive/', f'href="/{name}/')
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

    from . import datasette_plugin, pages

    if not pm.is_registered(datasette_plugin) and pm.get_plugin("xxgk") is None:
        pm.register(datasette_plugin, name="xxgk")
    if not pm.is_registered(pages) and pm.get_plugin("xxgk_pages") is None:
        pm.register(pages, name="xxgk_pages")


def _no_room(index_file: Path, need: int, free: int, what: str) -> str:
    return (f"{index_file}: not enough free disk to merge the search index (about {need / 1e9:,.1f} GB "
            f"needed for its merge steps; {free / 1e9:,.1f} GB free); {what}, and searches work as "
            f"before. Free disk and run it again")


def cmd_optimize(args) -> int:
    """Merge the search index into one segment, then ANALYZE: after a large load or re-parse,
    and weekly (deploy/crontab). The merge goes in steps of its own transactions
    (:func:`db.search_index.optimize_search_index`): searches keep working and see each step;
    a crawl writing at the same time waits between steps; an interrupted merge is finished by
    the next run."""
    import time

    db = Path(args.db)
    if not db.exists():
        raise UserError(f"{db}: no such archive")
    import shutil
    import sqlite3

    from .search_index import OPTIMIZE_RESERVE_STEPS, OPTIMIZE_STEP_PAGES, optimize_search_index, search_path
    from .store import Archive

    archive = Archive(db)
    archive.flush_index()
    index_file = Path(search_path(db))
    # each step's pages go to the WAL, then into the file's free pages (the steps before freed
    # them) or at its end: the disk holds a few steps' worth
    page = archive.db.execute("PRAGMA xxgk_search.page_size").fetchone()[0]
    need = OPTIMIZE_RESERVE_STEPS * OPTIMIZE_STEP_PAGES * page
    free = shutil.disk_usage(index_file.parent).free
    if free < need:
        archive.db.close()
        raise UserError(_no_room(index_file, need, free, "nothing was changed"))
    t0 = time.perf_counter()
    try:
        before = optimize_search_index(archive.db)
    except sqlite3.OperationalError as exc:
        archive.db.close()
        if "full" not in str(exc):
            raise
        raise UserError(_no_room(index_file, need, shutil.disk_usage(index_file.parent).free,
                                 "the steps merged so far are kept, the last one was rolled back")) from None
    archive.db.execute("PRAGMA analysis_limit = 1000")  # sampled statistics: seconds, not minutes, at a million reports
    archive.db.execute("ANALYZE")
    archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    archive.db.close()
    print(f"{db}: search index merged into one segment per table (was "
          + ", ".join(f"{n}: {k}" for n, k in before.items())
          + f" segments), statistics refreshed, in {time.perf_counter() - t0:,.1f} s")
    return 0


def cmd_serve(args) -> int:
    db = Path(args.db)
    if not db.exists():
        demo = " or serve the demo's: `xxgk serve --db demo.db`" if Path("demo.db").exists() else ""
        raise UserError(f"{db}: no such archive (build one with `xxgk crawl --db {db}`, `xxgk load PATH --db {db}` "
                        f"or `xxgk demo --db {db}`{demo})")
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
