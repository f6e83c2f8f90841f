"""The archive's one clock format: UTC, seconds, ISO 8601 (``2026-11-27T10:25:46+00:00``)."""
from __future__ import annotations

import datetime as _dt


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
