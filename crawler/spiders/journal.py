"""The resume journal of a crawl job (``-s JOBDIR=…``): one URL a line, every report
archived (or confirmed unchanged) by this job, so an interrupted crawl resumed with the
same JOBDIR does not ask for them again.  Removed when the crawl finishes."""
from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

JOURNAL_NAME = "xxgk-done.txt"


class Journal:
    """``done``: URLs journalled by an interrupted run of this job (only those are held
    in memory: within a crawl the spider's ``seen_links`` already keeps a URL from being
    asked twice)."""

    def __init__(self, jobdir: str | None):
        self.done: set[str] = set()
        self._path = Path(jobdir) / JOURNAL_NAME if jobdir else None
        self._file = None
        if self._path is not None:
            os.makedirs(jobdir, exist_ok=True)
            if self._path.exists():
                self.done = set(self._path.read_text("utf-8").split())
                logger.info("resuming: %d reports already archived in this job", len(self.done))
            self._file = open(self._path, "a", encoding="utf-8")

    def mark(self, url: str) -> None:
        if self._file:
            self._file.write(url + "\n")
            self._file.flush()

    def close(self, reason: str) -> None:
        if self._file:
            self._file.close()
            self._file = None
            if reason == "finished":  # a complete crawl: the next one starts afresh
                try:
                    os.remove(self._path)
                except OSError:
                    pass
