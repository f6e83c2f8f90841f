"""Bytes to text: the declared charset honoured, GBK / GB18030 / UTF-8 detected.

Chinese portals declare their charset in a header or a meta tag, and sometimes
declare it wrongly (a GBK page saying utf-8). A declaration is believed when the
bytes decode cleanly under it; otherwise UTF-8 and GB18030 are tried strictly,
and ``charset_normalizer`` (the detector requests uses) settles the rest.
"""
from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
# legacy Chinese encodings all read as their superset
_SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "x-gbk": "gb18030",
             "cp936": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "gb18030"}


def _normal(name: str | None) -> str | None:
    if not name:
        return None
    try:
        canonical = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    return _SUPERSET.get(name.strip().lower(), _SUPERSET.get(canonical, canonical))


def declared_charset(data: bytes, content_type: str | None = None) -> str | None:
    """The charset a Content-Type header or the page's meta tag declares."""
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        if m and _normal(m.group(1)):
            return _normal(m.group(1))
    m = _META_CHARSET.search(data[:4096])
    if m:
        return _normal(m.group(1).decode("ascii", "ignore"))
    return None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _plausible(encoding: str, data: bytes) -> bool:
    """UTF-16/32 decode almost any even-length bytes, so "decodes cleanly" proves nothing:
    they are believed only for bytes with the NULs such text of markup has (every other
    byte of ASCII); a page whose meta tag could be read as ASCII is not UTF-16."""
    if encoding.startswith(("utf_16", "utf-16", "utf_32", "utf-32")):
        head = data[:4096]
        return head.count(0) * 4 >= len(head)
    return True


def _label(encoding: str, data: bytes) -> str:
    """gb18030 reported as gbk when plain GBK covers it (what pages call it)."""
    if encoding == "gb18030" and _strict(data, "gbk") is not None:
        return "gbk"
    return encoding


def decode_bytes(data: bytes, hint: str | None = None, content_type: str | None = None) -> tuple[str, str, list[str]]:
    """(text, encoding used, warnings)."""
    warnings: list[str] = []
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            text = _strict(data, enc)
            if text is not None:
                return text, enc.replace("-sig", ""), warnings
    candidates = []
    for name, source in ((hint, "hint"), (declared_charset(data, content_type), "declared")):
        enc = _normal(name) if source == "hint" else name
        if name and not enc:
            warnings.append(f"unknown encoding {name!r} ({source}) ignored")
        if enc:
            candidates.append((enc, source))
    ascii_only = data.isascii()
    # valid UTF-8 with multi-byte characters is almost never GBK by accident
    utf8 = None if ascii_only else _strict(data, "utf-8")
    for enc, source in candidates:
        if utf8 is not None and enc != "utf-8" and enc in ("gb18030", "big5", "shift_jis", "euc_jp"):
            warnings.append(f"{source} encoding {enc} is wrong: the bytes are UTF-8")
            return utf8, "utf-8", warnings
        text = utf8 if enc == "utf-8" and utf8 is not None else _strict(data, enc) if _plausible(enc, data) else None
        if text is not None:
            return text, _label(enc, data), warnings
        warnings.append(f"{source} encoding {enc} does not fit the bytes; detected instead")
    if ascii_only:
        return data.decode("ascii"), "ascii", warnings
    if utf8 is not None:
        return utf8, "utf-8", warnings
    text = _strict(data, "gb18030")
    if text is not None:
        return text, _label("gb18030", data), warnings
    try:
        from charset_normalizer import from_bytes
        best = from_bytes(data[:200_000]).best()
    except Exception:  # the detector must never take the parse down
        best = None
    if best is not None and best.encoding:
        enc = best.encoding
        warnings.append(f"encoding detected as {enc}; some characters may be wrong")
        return data.decode(enc, errors="replace"), enc, warnings
    warnings.append("encoding unknown: decoded as UTF-8 with replacement characters")
    return data.decode("utf-8", errors="replace"), "utf-8", warnings


_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b < 32)


def sniff(data: bytes) -> str:
    """'pdf', 'zip' (docx/xlsx), 'ole' (doc/wps), 'image', 'binary' or 'text'."""
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return "image"
    sample = data[:8192]
    if b"\x00" in sample and not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "binary"
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if sample and controls / len(sample) > 0.05:
        return "binary"
    return "text"
