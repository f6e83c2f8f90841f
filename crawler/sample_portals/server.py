"""Serve the sample portals on 127.0.0.1, one port per portal (so each is its own
"domain" for the crawler's off-site rule).

    with SamplePortals() as sp:          # ephemeral ports
        sp.write_registry(tmp / "portals.csv")
        ...
        sp.hits("trs", "/robots.txt")

``xxgk sample-portals --port 8765`` serves portal *i* on port 8765 + *i*.
"""
from __future__ import annotations

import csv
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from crawler.portals import FIELDS

from .sites import SITE_CLASSES, Site


class SampleServer(ThreadingHTTPServer):
    """A threaded server with a real server's listen backlog.  socketserver's default
    (``request_queue_size = 5``) holds five connections not yet accepted; the crawler opens
    more than that to one portal at once (Scrapy 2.19 starts every queued request of a slot
    together when there is no download delay, as in the tests), and Linux drops the SYN of
    each connection past the backlog: the client sends it again only after 1 s, so under
    ``DOWNLOAD_TIMEOUT=1`` an ordinary page failed as "User timeout caused connection
    failure" (tests/test_hostile.py).  128 is nginx's and Linux's usual minimum."""

    request_queue_size = 128
    daemon_threads = True


def _handler_for(site: Site):
    class Handler(BaseHTTPRequestHandler):
        server_version = "SamplePortal/1.0"
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet
            pass

        def _serve(self, method: str):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = site.handle(method, self.path, headers, body)
            if reply.delay:
                time.sleep(reply.delay)
            data = b"" if method == "HEAD" or reply.status == 304 else reply.body
            with site.lock:
                site.log.append({"method": method, "path": self.path, "status": reply.status,
                                 "bytes": len(data), "headers": headers, "time": time.time()})
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def do_HEAD(self):
            self._serve("HEAD")

    return Handler


class SamplePortals:
    """All sample sites, each on its own 127.0.0.1 port."""

    def __init__(self, base_port: int = 0, sites: list[str] | None = None):
        self.sites: dict[str, Site] = {}
        self.servers: list[SampleServer] = []
        self.threads: list[threading.Thread] = []
        for i, cls in enumerate(SITE_CLASSES):
            if sites and cls.key not in sites:
                continue
            site = cls()
            server = SampleServer(("127.0.0.1", base_port + i if base_port else 0), _handler_for(site))
            site.port = server.server_address[1]
            self.sites[site.key] = site
            self.servers.append(server)

    def start(self) -> "SamplePortals":
        for server in self.servers:
            t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self) -> None:
        for server in self.servers:
            if self.threads:  # shutdown() waits for serve_forever(): only when started
                server.shutdown()
            server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def __getitem__(self, key: str) -> Site:
        return self.sites[key]

    # -- registry -----------------------------------------------------------
    def registry_csv(self) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        for site in self.sites.values():
            w.writerow(site.registry_row())
        return buf.getvalue()

    def write_registry(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.registry_csv(), encoding="utf-8")
        return path

    # -- observations ---------------------------------------------------------
    def requests(self, key: str | None = None) -> list[dict]:
        keys = [key] if key else list(self.sites)
        return [r for k in keys for r in self.sites[k].log]

    def hits(self, key: str, path: str) -> int:
        return sum(1 for r in self.sites[key].log if r["path"] == path)

    def clear_logs(self) -> None:
        for site in self.sites.values():
            with site.lock:
                site.log.clear()


def serve_forever(base_port: int = 8765) -> None:  # pragma: no cover - interactive
    sp = SamplePortals(base_port).start()
    for site in sp.sites.values():
        print(f"{site.key:8s} {site.platform:9s} {site.base_url}  {site.name}")
    print("registry: write it with `xxgk sample-portals --port N --registry FILE`; Ctrl-C to stop")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sp.stop()
