"""The one way a test says it needs an optional system tool (the tools of ``xxgk doctor``).

``@needs("libreoffice")`` (a mark) or ``require("redis")`` (inside a test or fixture) skips,
naming the tool, its Debian package and ``xxgk doctor --install``, when the tool is missing.
In CI (``CI`` set) the conftest hook turns every skip into a failure: CI installs them all.
"""
from __future__ import annotations

import functools

import pytest

from crawler import doctor


@functools.lru_cache(maxsize=None)
def _missing(key: str) -> str | None:
    return doctor.missing_part(doctor.BY_KEY[key])


def missing(*keys: str) -> str | None:
    """The skip reason for the first of ``keys`` that is missing, else None."""
    for key in keys:
        why = _missing(key)
        if why:
            return f"needs {doctor.BY_KEY[key].name}: {why}; `xxgk doctor --install` installs it"
    return None


def needs(*keys: str):
    """A mark: skip the test (or module, as ``pytestmark``) naming the missing tool."""
    why = missing(*keys)
    return pytest.mark.skipif(why is not None, reason=why or "")


def require(*keys: str) -> None:
    """Skip now, naming the missing tool."""
    why = missing(*keys)
    if why:   # reported at the test's own line, not this one
        raise pytest.skip.Exception(why, _use_item_location=True)
