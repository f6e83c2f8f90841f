"""The portal registry: one CSV row per portal, keyed by its GB/T 2260 region code.

Columns of ``crawler/portals.csv``:

``region_code``  GB/T 2260 code of the area (6 digits; a department shares its area's code)
``id``           short unique ASCII key (``-a portal=`` accepts it or ``name``)
``name``         the publishing body, e.g. 柘城县人民政府
``level``        province | city | county | district | township | department
``base_url``     the portal's home page (empty when no document gives it: the row is kept
                 for the record but never crawled)
``platform``     trs | hanweb | gkmlpt | epoint | smallcms | auto
``columns``      report column URLs (年报栏目), separated by spaces
``params``       platform parameters ``k=v;k=v`` (rarely needed: spiders discover them)
``source``       where the URLs were read (document, manifest entry) — never invented
``enabled``      1 to crawl, 0 to keep on record only
``notes``        free text

A portal is configuration, not code: adding a county is adding a row
(``xxgk portals add`` or ``xxgk portals discover URL``). The national rows are built from two
public lists by :mod:`crawler.national` (``python -m crawler.national``); what the crawler found
on each portal (columns, status) is kept in the archive's ``portals`` table (:mod:`db.portals`).
"""
from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

FIELDS = ["region_code", "id", "name", "level", "base_url", "platform", "columns",
          "params", "source", "enabled", "notes"]
PLATFORMS = ("trs", "hanweb", "gkmlpt", "epoint", "smallcms", "auto")
DEFAULT_REGISTRY = Path(__file__).with_name("portals.csv")


@dataclass
class Portal:
    region_code: str
    id: str
    name: str
    level: str = "county"
    base_url: str = ""
    platform: str = "auto"
    columns: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    source: str = ""
    enabled: bool = True
    notes: str = ""

    @property
    def crawlable(self) -> bool:
        return self.enabled and bool(self.base_url or self.columns)

    @property
    def hosts(self) -> set[str]:
        """The network locations this portal's requests may go to."""
        return {netloc(u) for u in [self.base_url, *self.columns] if u}

    def to_row(self) -> dict[str, str]:
        d = asdict(self)
        d["columns"] = " ".join(self.columns)
        d["params"] = ";".join(f"{k}={v}" for k, v in self.params.items())
        d["enabled"] = "1" if self.enabled else "0"
        return {k: d[k] for k in FIELDS}

    @classmethod
    def from_row(cls, row: dict[str, str]) -> "Portal":
        row = {k: (v or "").strip() for k, v in row.items() if k}
        platform = row.get("platform") or "auto"
        if platform not in PLATFORMS:
            raise ValueError(f"portal {row.get('id')!r}: unknown platform {platform!r}")
        params = {}
        for part in filter(None, row.get("params", "").split(";")):
            k, _, v = part.partition("=")
            params[k.strip()] = v.strip()
        return cls(
            region_code=row["region_code"],
            id=row.get("id") or row["region_code"],
            name=row.get("name", ""),
            level=row.get("level") or "county",
            base_url=row.get("base_url", ""),
            platform=platform,
            columns=row.get("columns", "").split(),
            params=params,
            source=row.get("source", ""),
            enabled=row.get("enabled", "1") not in ("0", "false", "no"),
            notes=row.get("notes", ""),
        )


def netloc(url: str) -> str:
    """``host[:port]``, lower-cased, default ports dropped."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        return f"{host}:{port}"
    return host


def load(path: str | Path | None = None) -> list[Portal]:
    path = Path(path) if path else DEFAULT_REGISTRY
    with open(path, newline="", encoding="utf-8") as fh:
        portals = [Portal.from_row(r) for r in csv.DictReader(fh) if (r.get("region_code") or "").strip()
                   and not r["region_code"].startswith("#")]
    ids = [p.id for p in portals]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"{path}: duplicate portal ids {sorted(dup)}")
    return portals


def dumps(portals: list[Portal]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
    w.writeheader()
    for p in portals:
        w.writerow(p.to_row())
    return buf.getvalue()


def save(portals: list[Portal], path: str | Path | None = None) -> None:
    Path(path or DEFAULT_REGISTRY).write_text(dumps(portals), encoding="utf-8")


def select(portals: list[Portal], region: str | None = None, portal: str | None = None,
           platform: str | None = None, include_disabled: bool = False) -> list[Portal]:
    """``region`` is a code prefix (``6542`` = 塔城地区), ``portal`` an id or name
    (comma-separated lists allowed), ``platform`` one platform."""
    out = []
    regions = [r for r in (region or "").split(",") if r]
    names = [n for n in (portal or "").split(",") if n]
    for p in portals:
        if not include_disabled and not p.crawlable:
            continue
        if regions and not any(p.region_code.startswith(r) for r in regions):
            continue
        if names and p.id not in names and p.name not in names:
            continue
        if platform and p.platform != platform:
            continue
        out.append(p)
    return out
