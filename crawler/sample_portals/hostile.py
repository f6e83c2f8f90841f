"""A hostile sample portal (issue 13), for the tests only: not among ``SITE_CLASSES``, so
``xxgk demo`` and ``xxgk sample-portals`` never serve it.

The PHPCMS sample site (托里县) as it is, plus reports a hostile or broken server sends:

* ``bomb``     a report followed by 50 tables of 64×64-spanned cells (800,000 grid cells)
* ``overflow`` a report with a cell printed as 999999999999999999999999 (beyond SQLite's integers)
* ``heavy``    a report followed by 22 MB of paragraphs of spaced-out characters (the most a
               parse may cost: about 5 s, at the tag limit; within the download limit)
* ``slow``     a report answered only after 4 s (a server that trickles its bytes)
* ``escape``   a listed article that redirects to a link-local address (cloud metadata)

    with HostilePortals() as hp:
        hp.write_registry(tmp / "portals.csv")
        hp["hostile"].special["bomb"].path
"""
from __future__ import annotations

import re
import threading

from .content import Doc
from .server import SamplePortals, SampleServer, _handler_for
from .sites import PhpcmsSite, Reply

BOMB_TABLE = ("<table><tr>" + "<td colspan=64 rowspan=64></td>" * 4 + "</tr>" + "<tr></tr>" * 63 + "</table>")
PRIVATE_URL = "http://0xa9fea9fe/latest/meta-data/"     # 169.254.169.254 spelt in hex
HUGE = "999999999999999999999999"


class HostileSite(PhpcmsSite):
    key = "hostile"
    name = "托里县人民政府（样例·恶意输入）"

    def build(self):
        super().build()
        seed = self.entries[0].doc.body_html
        first_zero = re.compile(r"本年新收政府信息公开申请数量</p>\s*<p>0</p>")
        overflow = first_zero.sub(f"本年新收政府信息公开申请数量</p>\n<p>{HUGE}</p>", seed, count=1)
        bodies = {
            "bomb": ("托里县财政局", seed + BOMB_TABLE * 50),
            "overflow": ("托里县民政局", overflow),
            "heavy": ("托里县水利局", seed + ("<p>" + " ".join("政府信息公开工作年度报告" * 4) + "</p>") * 150_000),
            "slow": ("托里县司法局", seed),
            "escape": ("托里县审计局", seed),
        }
        self.special = {}
        for i, (what, (agency, body)) in enumerate(bodies.items()):
            date = f"2024-03-0{i + 1}"
            self.special[what] = self.add(
                f"/html/2024/xxgknb_03{date[-2:]}/{3000 + i}.html",
                Doc(title=f"{agency}2023年政府信息公开工作年度报告", date=date, agency=agency, body_html=body,
                    year=2023, source=f"seed/tuoli-2023-report.txt ({what})"),
                counter_id=str(3000 + i), clicks=1)
        self.slow[self.special["slow"].path] = 4.0

    def handle(self, method, raw_path, headers, body):
        if raw_path.split("?")[0] == self.special["escape"].path:
            return Reply(status=302, body=b"", headers={"Location": PRIVATE_URL})
        return super().handle(method, raw_path, headers, body)


class HostilePortals(SamplePortals):
    """:class:`SamplePortals` serving the hostile site alone."""

    def __init__(self):
        self.sites = {}
        self.servers: list[SampleServer] = []
        self.threads: list[threading.Thread] = []
        site = HostileSite()
        server = SampleServer(("127.0.0.1", 0), _handler_for(site))
        site.port = server.server_address[1]
        self.sites[site.key] = site
        self.servers.append(server)
