"""The search index: a file of its own beside the archive, and the queue of versions waiting
for it.

    archive.db           every table of the archive but the search index
    archive.db-search    search_text, search_short (FTS5, one row per version), search_done,
                         search_broken

Why two files: SQLite lets one writer at a time into a file, and tokenizing a report for the
index costs about as much as storing it (≈ 1 ms each, measured at a million reports in
docs/scale.md). With the index in its own file an indexer writes it while the store writes the
archive, each on its own core. Every connection :func:`attach`-es the index file as
``xxgk_search``; the tables are named without their schema everywhere (SQLite finds them).

Each file has one writer (the store and the re-parse write the archive, an indexer the index
file), and each reads what the other wrote:

``search_pending(seq, version_id)`` (archive)
    versions whose text is not in the index yet, one row each; ``seq`` grows with every
    marking (never reused): a version re-marked by a re-parse gets a new one.
``search_stale(id, version_id, title, agency, text)`` (archive)
    text the index may still hold for a pending version (a re-parse records the old text before
    it changes a version's sections: the tables are contentless, and FTS5 deletes a row only
    given the values it indexed).
``search_done(seq)`` (index file)
    pending rows the indexer has handled: written in the same transaction as their index rows,
    so a crash between the two files never indexes a version twice nor loses one.
``search_broken(version_id)`` (index file)
    versions whose old rows could not be identified (no recorded text gives the token counts
    the index holds): left pending (searches test their text) until the index is rebuilt.

An indexer (:func:`index_step`) takes the index file's write lock first, then reads the
pending rows not done and their text from the archive; for a version the index already holds,
the recorded stale text whose token counts match what the index recorded is deleted first.
The writer of the archive drops the done rows from ``search_pending`` (:func:`clear_done`).
Searches (:mod:`db.search`) test a pending version on its text, never on the index.

``python -m db.search_index ARCHIVE`` runs an indexer until its standard input closes and
nothing is pending (``Archive`` starts one for a bulk load: see db/store.py).
"""
from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlite_utils

from . import chinese

SCHEMA = "xxgk_search"
#: the index file is the archive's name with this appended
SUFFIX = "-search"
#: FTS5's in-memory buffer before it writes a segment: one flush of store()'s batch
SEARCH_HASHSIZE = 64 * 1024 * 1024
#: FTS5 merges segments this many at a time: its default (4) between bulk loads, so that a
#: crawl's many small flushes leave few segments to search; 16 while an indexer process runs a
#: bulk load: each version's entries are then rewritten by fewer merges (indexing into the
#: million-report index alone: 707 versions/s merging 4 at a time, 1,321/s with 16 between
#: merges; docs/scale.md), and `xxgk optimize` after the load merges everything into one
SEARCH_AUTOMERGE = 4
BULK_AUTOMERGE = 16
#: versions per indexer transaction (each commit writes an FTS5 segment that merges cost later)
INDEX_STEP = 2000
#: an indexer process waits until this many versions are pending, or the oldest waited this
#: long: it keeps up with the store (what is left when the store stops is at most about this)
INDEXER_BATCH = 1000
INDEXER_DELAY = 1.0

#: pages an optimize step merges in one transaction (about 20 MB: the WAL and the file's
#: growth stay at a few of them; docs/scale.md)
OPTIMIZE_STEP_PAGES = 5000
#: free disk `xxgk optimize` asks for, in steps: 1 GB (merging the 17.7 GB index of 1.24 M
#: reports, the index file and its WAL grew by 134 MB at most)
OPTIMIZE_RESERVE_STEPS = 50

SEARCH_TABLES_SQL = (
    "CREATE VIRTUAL TABLE search_text USING fts5(title, agency, text, content='', tokenize='trigram')",
    "CREATE VIRTUAL TABLE search_short USING fts5(text, content='', detail=none, tokenize='trigram')",
)
FTS_TABLES = ("search_text", "search_short")
#: FTS5's own tables of a contentless table (its data is these rows: they can be copied)
SHADOWS = ("data", "idx", "docsize", "config")
INSERT_TEXT_SQL = "INSERT INTO search_text(rowid, title, agency, text) VALUES (?, ?, ?, ?)"
INSERT_SHORT_SQL = "INSERT INTO search_short(rowid, text) VALUES (?, ?)"


def search_path(archive_path: str | Path) -> str:
    return f"{archive_path}{SUFFIX}"


def main_path(conn) -> str:
    """The archive's file ('' in memory)."""
    for _, name, file in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return file or ""
    return ""


def is_attached(conn) -> bool:
    return any(name == SCHEMA for _, name, _ in conn.execute("PRAGMA database_list").fetchall())


def attach(conn, uri: str | None = None) -> None:
    """Attach the index file of the archive open on ``conn`` (created if missing; for an
    archive in memory, an index in memory). ``uri``: attach this instead (a read-only URI)."""
    files = {name: file for _, name, file in conn.execute("PRAGMA database_list").fetchall()}
    if SCHEMA in files:
        return
    path = files.get("main") or ""
    target = uri or (search_path(path) if path else ":memory:")
    conn.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (target,))
    if uri is None and path:
        conn.execute(f"PRAGMA {SCHEMA}.synchronous = NORMAL")
        conn.execute(f"PRAGMA {SCHEMA}.wal_autocheckpoint = 10000")


def use_wal(conn) -> None:
    if main_path(conn):
        conn.execute(f"PRAGMA {SCHEMA}.journal_mode = WAL")


def has_index(conn, schema: str = SCHEMA) -> bool:
    return conn.execute(f"SELECT 1 FROM {schema}.sqlite_master WHERE name = 'search_text'").fetchone() is not None


def create_tables(db: sqlite_utils.Database) -> None:
    """The index file's tables (empty), replacing any there."""
    for name in FTS_TABLES:
        db.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{name}")
    for sql in SEARCH_TABLES_SQL:
        db.execute(sql.replace("TABLE ", f"TABLE {SCHEMA}.", 1))
    _configure(db)
    db.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.search_done (seq INTEGER PRIMARY KEY)")
    db.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.search_broken (version_id INTEGER PRIMARY KEY)")
    db.execute(f"DELETE FROM {SCHEMA}.search_done")
    db.execute(f"DELETE FROM {SCHEMA}.search_broken")


def _configure(db: sqlite_utils.Database) -> None:
    for name in FTS_TABLES:
        db.execute(f"INSERT INTO {SCHEMA}.{name}({name}, rank) VALUES ('hashsize', {SEARCH_HASHSIZE})")
    set_automerge(db, SEARCH_AUTOMERGE)


def set_automerge(db: sqlite_utils.Database, segments: int) -> None:
    """FTS5's 'automerge' of both search tables (a setting stored in the index file)."""
    with db.atomic():
        for name in FTS_TABLES:
            db.execute(f"INSERT INTO {SCHEMA}.{name}({name}, rank) VALUES ('automerge', {segments})")


def move_from_main(db: sqlite_utils.Database) -> None:
    """Move the search tables an older archive keeps in its own file into the index file: FTS5's
    own tables copied row for row (nothing tokenized again), then dropped from the archive."""
    create_tables(db)
    if not has_index(db.conn, "main"):
        return
    # with secure_delete on, dropping them would first write all of them to the WAL
    db.execute("PRAGMA main.secure_delete = OFF")
    for name in FTS_TABLES:
        for shadow in SHADOWS:
            db.execute(f"DELETE FROM {SCHEMA}.{name}_{shadow}")
            db.execute(f"INSERT INTO {SCHEMA}.{name}_{shadow} SELECT * FROM main.{name}_{shadow}")
        db.execute(f"DROP TABLE main.{name}")
    _configure(db)


# ---------------------------------------------------------------- rows
def search_rows(version_id: int, title, agency, sections) -> tuple[tuple, tuple]:
    """The search_text and search_short rows of one version; ``sections`` are
    (heading, text) pairs in order."""
    row = text_row(version_id, title, agency, sections)
    return row, short_row(*row)


def text_row(version_id: int, title, agency, sections) -> tuple:
    """The search_text row of one version: (version_id, title, agency, text), folded."""
    fold = chinese.fold
    return (version_id, fold(title), fold(agency), fold("\n".join(f"{h or ''}\n{s or ''}" for h, s in sections)))


def short_row(version_id: int, title: str, agency: str, text: str) -> tuple:
    """The search_short row of a version, from its search_text row's values."""
    return (version_id, chinese.short_text(f"{title}\n{agency}\n{text}"))


def _version_heads(conn, where: str = "", params=()) -> list[tuple]:
    # a version's title and agency, as store() indexed them: from its own stored record
    # (else the report's)
    return conn.execute(
        "SELECT v.id, coalesce(json_extract(v.record, '$.title'), r.title), "
        "coalesce(json_extract(v.record, '$.agency'), a.name) "
        "FROM main.versions v JOIN main.reports r ON r.id = v.report_id "
        f"LEFT JOIN main.agencies a ON a.id = r.agency_id {where} ORDER BY v.id",
        params,
    ).fetchall()


def text_rows_from_db(conn, version_ids: list[int]) -> dict[int, tuple]:
    """version_id -> text_row() of each version, from the archive's tables."""
    out = {}
    for i in range(0, len(version_ids), 500):
        ids = json.dumps(version_ids[i:i + 500])
        secs: dict[int, list] = {}
        for vid, h, t in conn.execute(
                "SELECT version_id, heading, text FROM main.sections WHERE version_id IN "
                "(SELECT value FROM json_each(?)) ORDER BY id", (ids,)):
            secs.setdefault(vid, []).append((h, t))
        for vid, title, agency in _version_heads(conn, "WHERE v.id IN (SELECT value FROM json_each(?))", (ids,)):
            out[vid] = text_row(vid, title, agency, secs.get(vid, []))
    return out


def rows_from_db(conn, version_ids: list[int]) -> dict[int, tuple]:
    """version_id -> search_rows() of each version, from the archive's tables."""
    return {v: (row, short_row(*row)) for v, row in text_rows_from_db(conn, version_ids).items()}


def _insert_rows(conn, rows: list[tuple[tuple, tuple]]) -> None:
    conn.executemany(INSERT_TEXT_SQL, [a for a, _ in rows])
    conn.executemany(INSERT_SHORT_SQL, [b for _, b in rows])


def _delete_rows(conn, rows: list[tuple[tuple, tuple]]) -> None:
    # one after another (no other statement between them: FTS5 writes them as one segment)
    conn.executemany("INSERT INTO search_text(search_text, rowid, title, agency, text) "
                     "VALUES ('delete', ?, ?, ?, ?)", [a for a, _ in rows])
    conn.executemany("INSERT INTO search_short(search_short, rowid, text) VALUES ('delete', ?, ?)",
                     [b for _, b in rows])


# ---------------------------------------------------------------- the archive's side
def mark_pending(conn, version_id: int) -> int:
    """Queue a version for the index (its text committed with this transaction); its seq."""
    return conn.execute("INSERT OR REPLACE INTO main.search_pending(version_id) VALUES (?)",
                        (version_id,)).lastrowid


def mark_stale(conn, version_id: int) -> int:
    """Before a version's text changes (a re-parse): record the text the index may hold for
    it, so the indexer can delete those rows, and queue it (its seq). Call in the transaction
    that changes it, before the change."""
    row = text_rows_from_db(conn, [version_id]).get(version_id)   # (search_short's is derived)
    if row is not None:
        _, title, agency, text = row
        conn.execute(
            "INSERT INTO main.search_stale(version_id, title, agency, text) SELECT ?, ?, ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM main.search_stale WHERE version_id = ? AND title IS ? "
            "AND agency IS ? AND text IS ?)", (version_id, title, agency, text, version_id, title, agency, text))
    return mark_pending(conn, version_id)


def clear_done(db: sqlite_utils.Database) -> int:
    """Drop the pending rows the indexer has done, and the stale text of versions no longer
    pending (one transaction on the archive); how many pending rows went."""
    if not db.execute(f"SELECT 1 FROM {SCHEMA}.search_done UNION ALL SELECT 1 FROM main.search_stale "
                      "LIMIT 1").fetchone():
        return 0   # (no write transaction when there is nothing to drop)
    with db.atomic():
        n = db.execute(f"DELETE FROM main.search_pending WHERE seq IN (SELECT seq FROM {SCHEMA}.search_done)").rowcount
        db.execute("DELETE FROM main.search_stale WHERE version_id NOT IN (SELECT version_id FROM main.search_pending)")
    return n


# ---------------------------------------------------------------- the indexer's side
def _docsizes(conn, version_id: int) -> list:
    """What the index recorded for a version: its token counts per column, per table (None: no row)."""
    return [conn.execute(f"SELECT sz FROM {t}_docsize WHERE id = ?", (version_id,)).fetchone()
            for t in FTS_TABLES]


def _matching_rows(conn, version_id: int, texts: list[tuple], indexed: list) -> tuple | None:
    """The rows of the first of ``texts`` — (title, agency, text) — whose token counts per
    column are those the index recorded for the version (FTS5's ``*_docsize``), tokenized into
    a scratch table to count them. None: none matches."""
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.stale_text USING fts5(title, agency, text, "
                 "content='', tokenize='trigram')")
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.stale_short USING fts5(text, content='', "
                 "detail=none, tokenize='trigram')")
    for title, agency, text in texts:
        rows = ((version_id, title, agency, text), short_row(version_id, title, agency, text))
        try:
            conn.execute("INSERT INTO temp.stale_text(rowid, title, agency, text) VALUES (?, ?, ?, ?)", rows[0])
            conn.execute("INSERT INTO temp.stale_short(rowid, text) VALUES (?, ?)", rows[1])
            recomposed = [conn.execute(f"SELECT sz FROM temp.{t}_docsize WHERE id = ?", (version_id,)).fetchone()
                          for t in ("stale_text", "stale_short")]
        finally:
            for t in ("stale_text", "stale_short"):
                conn.execute(f"INSERT INTO temp.{t}({t}) VALUES ('delete-all')")
        if recomposed == indexed:
            return rows
    return None


def _held_rows(conn, version_id: int, new: tuple | None, indexed: list) -> tuple | None:
    """The rows the index holds for a version: one of its recorded stale texts, else (none
    recorded) its current text — both only if the token counts agree."""
    stale = conn.execute("SELECT title, agency, text FROM main.search_stale WHERE version_id = ? ORDER BY id",
                         (version_id,)).fetchall()
    if stale:
        return _matching_rows(conn, version_id, stale, indexed)
    if new is not None:   # indexed already: a crash between the two files, say
        return _matching_rows(conn, version_id, [new[0][1:]], indexed)
    return None


def index_step(db: sqlite_utils.Database, limit: int = INDEX_STEP, rows: dict | None = None) -> int:
    """Index up to ``limit`` pending versions (one transaction on the index file); how many
    pending rows it handled (0: nothing to do). ``rows`` may hold versions' search rows
    already: {version_id: (seq, search_rows())}, used when the seq is still the pending one."""
    conn = db.conn
    if not conn.execute("SELECT 1 FROM main.search_pending LIMIT 1").fetchone():
        return 0   # (no write transaction when nothing waits; a seq is never reused, so done
        #            rows of seqs gone from the queue can wait for the next step)
    with db.atomic():
        # the index file's write lock first (another indexer waits here; what it committed is
        # then visible), and the done rows the archive's writer has dropped from the queue go
        conn.execute(f"DELETE FROM {SCHEMA}.search_done WHERE seq NOT IN (SELECT seq FROM main.search_pending)")
        pending = conn.execute(
            f"SELECT seq, version_id FROM main.search_pending WHERE seq NOT IN (SELECT seq FROM {SCHEMA}.search_done) "
            f"AND version_id NOT IN (SELECT version_id FROM {SCHEMA}.search_broken) ORDER BY seq LIMIT ?",
            (limit,)).fetchall()
        if not pending:
            return 0
        rows = rows or {}
        have = {v: rows[v][1] for s, v in pending if v in rows and rows[v][0] == s}
        have.update(rows_from_db(conn, [v for _, v in pending if v not in have]))
        deletes, inserts, done, broken = [], [], [], []
        for seq, vid in pending:
            new = have.get(vid)
            indexed = _docsizes(conn, vid)
            if indexed != [None, None]:   # the index holds a text of this version
                old = _held_rows(conn, vid, new, indexed)
                if old is None:
                    broken.append((vid,))
                    continue
                if old == new:
                    done.append((seq,))
                    continue
                deletes.append(old)
            if new is not None:   # (a version deleted meanwhile has nothing to index)
                inserts.append(new)
            done.append((seq,))
        _delete_rows(conn, deletes)
        _insert_rows(conn, inserts)
        conn.executemany(f"INSERT INTO {SCHEMA}.search_done(seq) VALUES (?)", done)
        conn.executemany(f"INSERT OR IGNORE INTO {SCHEMA}.search_broken(version_id) VALUES (?)", broken)
    return len(pending)


def index_pending(db: sqlite_utils.Database, rows: dict | None = None) -> int:
    """Index every pending version here and now, then drop the done rows from the queue;
    how many pending rows were handled. ``rows`` as for :func:`index_step`. Versions whose
    old rows could not be identified (``search_broken``) rebuild the whole index."""
    done = 0
    while True:
        n = index_step(db, rows=rows)
        if not n:
            break
        done += n
    if db.execute(f"SELECT 1 FROM {SCHEMA}.search_broken LIMIT 1").fetchone():
        with db.atomic():
            rebuild_search_index(db)
    clear_done(db)
    return done


def optimize_search_index(db: sqlite_utils.Database) -> dict:
    """Merge each search table into one b-tree segment. Every write adds a segment and FTS5
    merges them only gradually, so an archive written in many small batches (a crawl's index
    flushes, a re-parse) ends up with dozens; each search, and each row a broad search tests,
    then seeks in every one (measured at 20,000 reports: 40 segments, 0.42 ms per row test; one
    segment, 0.056 ms). Returns the segment counts before, per table.

    The merge runs as FTS5's incremental optimize ('merge' with a negative page count starts
    it, positive counts go on; a step that changes nothing means it is done), one transaction
    of :data:`OPTIMIZE_STEP_PAGES` merged pages at a time. FTS5 trims the merged inputs as it
    goes, so each step's new pages reuse the pages the steps before freed: the index file
    grows by a few steps, not by a second copy of the index (FTS5's 'optimize', one
    transaction, wrote the whole index to the WAL: up to twice its size on disk). Searches see
    each step as it commits; a step that fails (a full disk) rolls back alone, and running it
    again finishes the merge."""
    before = {}
    conn = db.conn
    for name in FTS_TABLES:
        before[name] = db.execute(f"SELECT count(DISTINCT segid) FROM {name}_idx").fetchone()[0]
        segments = before[name]
        while segments > 1:
            pages, worked = -OPTIMIZE_STEP_PAGES, False
            while True:
                changes = conn.total_changes
                with db.atomic():
                    conn.execute(f"INSERT INTO {name}({name}, rank) VALUES ('merge', ?)", (pages,))
                if conn.total_changes - changes < 2:   # FTS5: no work done, this merge is complete
                    break
                pages, worked = OPTIMIZE_STEP_PAGES, True
            segments = db.execute(f"SELECT count(DISTINCT segid) FROM {name}_idx").fetchone()[0]
            if not worked:   # FTS5 found nothing it would merge: never loop on it (segments another
                break        # process writes meanwhile are merged by the next round)
    return before


def rebuild_search_index(db: sqlite_utils.Database) -> None:
    """(Re)build the search index from versions, reports, agencies and sections; every pending
    row is done (call it in a transaction)."""
    conn = db.conn
    for name in FTS_TABLES:
        conn.execute(f"INSERT INTO {name}({name}) VALUES('delete-all')")
    conn.execute(f"DELETE FROM {SCHEMA}.search_broken")
    conn.execute(f"DELETE FROM {SCHEMA}.search_done")
    conn.execute(f"INSERT INTO {SCHEMA}.search_done(seq) SELECT seq FROM main.search_pending")
    ids = [v for (v,) in conn.execute("SELECT id FROM main.versions ORDER BY id")]
    for i in range(0, len(ids), 2000):
        chunk = ids[i:i + 2000]
        rows = rows_from_db(conn, chunk)
        _insert_rows(conn, [rows[v] for v in chunk if v in rows])
    conn.execute(
        "INSERT OR REPLACE INTO main.archive_meta(key, value) VALUES ('tokenizer_version', ?)",
        (str(chinese.TOKENIZER_VERSION),),
    )
    conn.execute("DELETE FROM main.search_pending")
    conn.execute("DELETE FROM main.search_stale")


# ---------------------------------------------------------------- an indexer process
class IndexerProcess:
    """``python -m db.search_index ARCHIVE`` beside this process: it indexes what the store
    queues while the store goes on. :meth:`stop` closes its standard input; it indexes what
    is left and exits."""

    def __init__(self, archive_path: str | Path):
        import subprocess

        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
        # its standard error to a file, not a pipe: nothing it prints can fill a pipe no one
        # reads until it stops, and block it
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "db.search_index", str(Path(archive_path).resolve())],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr, env=env)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> str | None:
        """Wait for it to index what is pending and exit; its error (the last line it printed),
        if it failed."""
        try:
            self.process.stdin.close()
        except OSError:
            pass
        code = self.process.wait()
        self._stderr.seek(0)
        err = self._stderr.read().decode("utf-8", "replace").strip()
        self._stderr.close()
        if code:
            return (err.splitlines() or [f"exit status {code}"])[-1]
        return None


def run_indexer(archive_path: str, stop: threading.Event, poll: float = 0.1) -> int:
    """Index pending versions until ``stop`` is set and nothing is pending; how many. Waits
    for INDEXER_BATCH newly pending versions (or INDEXER_DELAY seconds) between steps, as
    store() batches its own flushes: each commit adds an index segment."""
    from .schema import connect

    db = connect(archive_path)
    total, last_seq, since = 0, 0, time.monotonic()
    set_automerge(db, BULK_AUTOMERGE)
    try:
        while True:
            stopping = stop.is_set()
            waiting = db.execute("SELECT count(*) FROM (SELECT 1 FROM main.search_pending WHERE seq > ? LIMIT ?)",
                                 (last_seq, INDEXER_BATCH)).fetchone()[0]
            if waiting and (stopping or waiting >= INDEXER_BATCH or time.monotonic() - since >= INDEXER_DELAY):
                n = index_step(db, limit=INDEXER_BATCH)
                total += n
                last_seq = db.execute(f"SELECT coalesce(max(seq), ?) FROM {SCHEMA}.search_done",
                                      (last_seq,)).fetchone()[0]
                since = time.monotonic()
                if n:
                    continue
            if stopping:
                # what is left (a version marked again below last_seq, say): here, until none
                while n := index_step(db):
                    total += n
                return total
            if not waiting:
                since = time.monotonic()
            stop.wait(poll)
    finally:
        try:
            set_automerge(db, SEARCH_AUTOMERGE)
        finally:
            db.close()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not Path(argv[0]).exists():
        print("usage: python -m db.search_index ARCHIVE (an existing archive file)", file=sys.stderr)
        return 2
    stop = threading.Event()
    # Ctrl-C in a terminal reaches the whole process group: the store decides when this stops
    # (its standard input closes), so a crawl's graceful shutdown still gets its index written
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def wait_for_eof():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            stop.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    try:
        run_indexer(argv[0], stop)
    except Exception as exc:   # one line for the parent (it indexes what is left itself)
        print(f"indexer: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
