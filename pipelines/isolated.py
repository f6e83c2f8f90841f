"""``parse_document`` in worker processes, each parse within a time and memory limit.

A crawl must not wait on one page: :class:`ParsePool` runs parses in a small pool of
worker processes (``pebble.ProcessPool``). A parse past its time limit has its worker
killed (and replaced); a worker's address space is capped (``RLIMIT_AS``, soft limit,
so the tools it starts may set their own), so a parse that would bloat fails with
``MemoryError`` inside the worker instead of taking the machine. Either way the
caller gets a record saying which limit was exceeded — the page is still archived
raw — and the pool goes on with the next document.

``xxgk parse`` and ``xxgk load`` call ``parse_document`` directly (one document, one
process); this module is for the crawl.
"""
from __future__ import annotations

import multiprocessing
import resource
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from pebble import ProcessExpired, ProcessPool

PARSE_TIMEOUT = 60.0          # seconds for a page (HTML or text)
FILE_TIMEOUT = 420.0          # seconds for an attachment (PDF text budget, OCR budget, LibreOffice)
MEMORY_MB = 1024              # address space of a worker


def _start_worker(mb: int) -> None:
    """A worker's start: its memory capped, the parser imported (not counted in a parse's time)."""
    import pipelines  # noqa: F401
    import pipelines.formats  # noqa: F401
    if mb > 0:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = mb << 20
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _parse(data: bytes, url: str | None, encoding: str | None, memory_mb: int) -> dict:
    from . import parse_document
    try:
        return parse_document(data, url=url, encoding=encoding)
    except MemoryError:
        return limit_record(url, f"memory limit: the parse needed more than {memory_mb} MB; not parsed")


def limit_record(url: str | None, why: str) -> dict:
    """The record of a document whose parse was stopped: unparsed, the reason a warning."""
    from .record import empty_record
    record = empty_record(url)
    record["kind"] = "report"
    record["warnings"].append(why)
    record["parse_limit"] = why
    return record


REPLACEMENT_GRACE = 1.0   # seconds a replacement worker may take to start


class ParsePool:
    """A pool of parse workers; :meth:`submit` returns a future of the record."""

    def __init__(self, workers: int = 2, timeout: float = PARSE_TIMEOUT, file_timeout: float = FILE_TIMEOUT,
                 memory_mb: int = MEMORY_MB):
        self.timeout = timeout
        self.file_timeout = file_timeout
        self.memory_mb = memory_mb
        self.workers = max(1, workers)
        self._pool = self._new_pool()
        self._lost_at = 0.0       # when a worker was last killed or died (a replacement then starts)

    def _new_pool(self) -> ProcessPool:
        # forkserver: workers do not inherit the crawler's reactor and threads
        return ProcessPool(max_workers=self.workers, max_tasks=200, initializer=_start_worker,
                           initargs=(self.memory_mb,), context=multiprocessing.get_context("forkserver"))

    def submit(self, data: bytes, url: str | None, encoding: str | None = None, attachment: bool = False) -> Future:
        """A future resolving to the record; never to an exception (a failed or stopped
        parse is a record whose ``parse_limit`` / warnings say why)."""
        timeout = self.file_timeout if attachment else self.timeout
        try:
            inner = self._pool.schedule(_parse, args=(data, url, encoding, self.memory_mb), timeout=timeout)
        except RuntimeError:      # the pool broke (its workers could not start): a new one
            self._pool.stop()
            self._pool = self._new_pool()
            inner = self._pool.schedule(_parse, args=(data, url, encoding, self.memory_mb), timeout=timeout)
        outer: Future = Future()

        def done(f):
            try:
                outer.set_result(f.result())
            except FutureTimeout:
                self._lost_at = time.monotonic()
                outer.set_result(limit_record(url, f"time limit: the parse took more than {timeout:g} s; "
                                                   "stopped, not parsed"))
            except (ProcessExpired, BrokenProcessPool) as exc:
                self._lost_at = time.monotonic()
                outer.set_result(limit_record(url, f"memory limit: the parse worker died ({exc}); not parsed"))
            except MemoryError:
                outer.set_result(limit_record(url, f"memory limit: the parse needed more than {self.memory_mb} MB; "
                                                   "not parsed"))
            except Exception as exc:   # noqa: BLE001 - a bad document never costs the crawl
                outer.set_result(limit_record(url, f"parse failed: {exc!r}"[:300]))

        inner.add_done_callback(done)
        return outer

    def close(self) -> None:
        # a worker replacing one that was killed is still being forked by the forkserver for a
        # moment; stopping the pool then makes that child fail (a traceback on stderr)
        wait = REPLACEMENT_GRACE - (time.monotonic() - self._lost_at)
        if wait > 0:
            time.sleep(wait)
        self._pool.stop()
        self._pool.join(timeout=10)
