"""DOC and WPS (OLE compound files): LibreOffice headless converts them to DOCX, then :mod:`.word`.

Kingsoft WPS Writer saves ``.wps`` as a Word-97-style compound file; both are told
apart only by the producer named inside. Each conversion runs in its own temporary
folder with its own LibreOffice profile (so it never waits on another instance's
lock), with a timeout that kills the whole process group, and a memory cap.
"""
from __future__ import annotations

import os
import tempfile

from . import Converted, limits, tools
from .word import convert_zip

_UTF16 = lambda s: s.encode("utf-16-le")   # noqa: E731  (OLE directory names are UTF-16)


def ole_format(data: bytes) -> str:
    """'doc', 'wps', 'xls', 'ppt', 'ole' or 'damaged' from the streams and producer an OLE file names."""
    if _truncated(data):
        return "damaged"
    head = data   # the directory may be anywhere (Word writes it last)
    if _UTF16("WordDocument") in head or b"WordDocument" in head:
        if any(m in head for m in (b"WPS Office", _UTF16("WPS Office"), b"Kingsoft", _UTF16("Kingsoft"),
                                   _UTF16("WPS"), b"WPS \xce\xc4\xd7\xd6")):
            return "wps"
        return "doc"
    if _UTF16("Workbook") in head or _UTF16("Book") in head:
        return "xls"
    if _UTF16("PowerPoint Document") in head:
        return "ppt"
    if _UTF16("Root Entry") not in head:
        return "damaged"
    return "ole"


def _truncated(data: bytes) -> bool:
    """Whether the sectors the header points at (FAT, directory) lie past the end of the file."""
    if len(data) < 512:
        return True
    shift = int.from_bytes(data[0x1E:0x20], "little")
    if not 7 <= shift <= 16:
        return True
    size = 1 << shift
    n_fat = int.from_bytes(data[0x2C:0x30], "little")
    sectors = [int.from_bytes(data[0x30:0x34], "little")]
    sectors += [int.from_bytes(data[0x4C + 4 * i:0x50 + 4 * i], "little") for i in range(min(n_fat, 109))]
    sectors = [s for s in sectors if s < 0xFFFFFFFA]
    return bool(sectors) and max(sectors) * size + size + max(size, 512) > len(data)


def libreoffice() -> str | None:
    return tools.which("soffice") or tools.which("libreoffice")


def convert_ole(data: bytes) -> Converted:
    fmt = ole_format(data)
    if fmt in ("xls", "ppt", "ole", "damaged"):
        what = {"xls": "an Excel workbook (XLS)", "ppt": "a PowerPoint file (PPT)",
                "damaged": "a damaged or truncated OLE (DOC/WPS) file: its directory is missing"
                }.get(fmt, "an OLE file that is not a Word document")
        return Converted(format="doc" if fmt == "damaged" else fmt, kind="unreadable", warnings=[f"{what}: not read"])
    exe = libreoffice()
    if exe is None:
        return Converted(format=fmt, kind="unreadable",
                         warnings=[f"{fmt.upper()} not read: LibreOffice (soffice) is not installed to convert it"])
    docx, why = to_docx(exe, data, fmt)
    if docx is None:
        return Converted(format=fmt, kind="unreadable", warnings=[f"{fmt.upper()} could not be converted: {why}"])
    out = convert_zip(docx)
    out.format = fmt
    out.extra["converted_by"] = "libreoffice"
    return out


def to_docx(exe: str, data: bytes, fmt: str) -> tuple[bytes | None, str | None]:
    with tempfile.TemporaryDirectory(prefix="xxgk-office-") as tmp:
        src = os.path.join(tmp, f"in.{fmt}")
        with open(src, "wb") as fh:
            fh.write(data)
        outdir = os.path.join(tmp, "out")
        profile = "file://" + os.path.join(tmp, "profile")
        env = dict(os.environ, HOME=tmp, SAL_USE_VCLPLUGIN="svp")
        res = tools.run([exe, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                         "--nolockcheck", "--convert-to", "docx:MS Word 2007 XML", "--outdir", outdir, src],
                        timeout=limits.OFFICE_TIMEOUT, memory=limits.OFFICE_MEMORY, cwd=tmp, env=env)
        target = os.path.join(outdir, "in.docx")
        if not os.path.exists(target):
            return None, res.error or "LibreOffice wrote no DOCX (the file is damaged or not a document)"
        if os.path.getsize(target) > limits.MAX_ZIP_UNCOMPRESSED:
            return None, "the converted DOCX is too large"
        with open(target, "rb") as fh:
            return fh.read(), None
