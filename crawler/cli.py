"""The ``xxgk`` command: one entry point for parsing, loading, serving and crawling.

Each sub-command is a thin adapter: it parses arguments and calls a function in
``pipelines`` (parsing), ``db`` (the archive) or ``crawler`` (crawling). Heavy
imports happen inside the handlers so ``xxgk parse`` stays fast.

Errors the user can act on are raised as :class:`UserError` and printed as one
line on stderr with exit status 2; nothing the user types produces a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys


from crawler.errors import UserError  # noqa: E402  (re-exported: handlers raise crawler.cli.UserError)


# sub-command name -> "module:function"; each function takes the argparse namespace
# and returns an exit status.
HANDLERS = {
    "parse": "pipelines.cli:cmd_parse",
    "load": "db.cli:cmd_load",
    "serve": "db.cli:cmd_serve",
    "reparse": "db.cli:cmd_reparse",
    "optimize": "db.cli:cmd_optimize",
    "crawl": "crawler.commands:cmd_crawl",
    "demo": "crawler.commands:cmd_demo",
    "portals": "crawler.commands:cmd_portals",
    "sample-portals": "crawler.commands:cmd_sample_portals",
    "store-worker": "crawler.distributed:cmd_store_worker",
    "doctor": "crawler.doctor:cmd_doctor",
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="xxgk",
        description="Archive of Chinese government information-disclosure annual reports.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    s = sub.add_parser("parse", help="parse one saved report (HTML or text) and print its record as JSON")
    s.add_argument("path", help="a saved report page (.html) or its text (.txt)")
    s.add_argument("--url", help="the URL the document came from (resolves links, recorded in the output)")
    s.add_argument("--encoding", help="encoding hint, e.g. gbk (detected when missing or wrong)")

    s = sub.add_parser("load", help="parse saved files or folders and store them in the archive")
    s.add_argument("paths", nargs="+", metavar="PATH", help="saved report files (HTML, text, PDF, Word) or folders of them")
    s.add_argument("--db", default="archive.db", help="archive file (default: archive.db)")

    s = sub.add_parser("serve", help="browse the archive in Datasette (read-only, 127.0.0.1)")
    s.add_argument("--db", default="archive.db", help="archive file (default: archive.db)")
    s.add_argument("--port", type=int, default=8001, help="port to serve on (default 8001)")
    s.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")

    s = sub.add_parser("reparse", help="re-derive sections, cells and checks of stored pages with the current parser")
    s.add_argument("--db", default="archive.db", help="archive file (default: archive.db)")
    s.add_argument("--all", action="store_true", help="every version, not only those from an older parser")

    s = sub.add_parser("optimize", help="merge the search index into one segment and refresh the query planner's "
                                        "statistics (after a large load; weekly)")
    s.add_argument("--db", default="archive.db", help="archive file (default: archive.db)")

    s = sub.add_parser("crawl", help="crawl the registered portals into the archive (scrapy crawl portals)",
                       description="Crawl the portals of a registry into an archive, many sites at once and one "
                                   "request at a time per site. A status line every --progress seconds on stderr; "
                                   "Ctrl-C stops (with -s JOBDIR=DIR a later run resumes); at the end one line per "
                                   "portal with its status (ok / no_column / unreachable / blocked / robots).")
    s.add_argument("--db", default="archive.db", help="archive file (default: archive.db)")
    s.add_argument("--registry", metavar="FILE", help="portal registry CSV (default: crawler/portals.csv, the national one)")
    s.add_argument("--progress", type=float, metavar="SECONDS", default=None,
                   help="seconds between progress lines on stderr (default 30; 0: none)")
    s.add_argument("--fail-on-alert", action="store_true", help="exit non-zero when a crawl-health alert fires")
    s.add_argument("-a", dest="spider_args", action="append", default=[], metavar="NAME=VALUE",
                   help="spider argument, as for scrapy crawl: -a region=6542, -a portal=ID, -a spider=trs")
    s.add_argument("-s", dest="settings", action="append", default=[], metavar="SETTING=VALUE",
                   help="Scrapy setting, e.g. -s DOWNLOAD_DELAY=3 -s JOBDIR=crawls/run1")
    s.add_argument("-L", "--loglevel", help="Scrapy log level")

    s = sub.add_parser("demo", help="crawl the bundled sample portals on 127.0.0.1 into an archive")
    s.add_argument("--db", default="demo.db", help="archive file (default: demo.db)")
    s.add_argument("--serve", action="store_true", help="open Datasette on the result")
    s.add_argument("--port", type=int, default=8001, help="Datasette's port with --serve (default 8001)")

    s = sub.add_parser("portals", help="the portal registry and what the archive knows of each portal",
                       description="The registry (crawler/portals.csv) says which portals to crawl; the archive's "
                                   "portals table says what the last crawl found: platform, report columns and "
                                   "how they were found, status and when.")
    ps = s.add_subparsers(dest="action", metavar="ACTION")
    ps.required = True

    def portals_parser(name, help_, db=True):
        q = ps.add_parser(name, help=help_, description=help_)
        q.add_argument("--registry", metavar="FILE", help="registry CSV (default: crawler/portals.csv)")
        if db:
            q.add_argument("--db", default="archive.db", help="archive file (default: archive.db)")
        return q

    q = portals_parser("list", "one line per portal: code, id, platform, status in the archive, columns or home page")
    q.add_argument("--status", help="only portals with this status (ok, no_column, unreachable, blocked, robots, "
                                    "never: not crawled yet)")
    q.add_argument("--region", metavar="CODE_PREFIX", help="only portals whose GB/T 2260 code starts with this")
    q.add_argument("--all", action="store_true", help="also portals that are not crawled (disabled or no URL)")
    q = portals_parser("show", "everything known of one portal: its registry row, its archive row, its last log lines")
    q.add_argument("portal", metavar="ID", help="portal id (or GB/T 2260 code) in the registry")
    q = portals_parser("set-column", "give a portal its report column URL(s) in the archive (the next crawl reads "
                                     "them instead of discovering); --clear forgets them")
    q.add_argument("portal", metavar="ID", help="portal id in the registry")
    q.add_argument("columns", nargs="*", metavar="COLUMN_URL", help="report column URL(s) on the portal")
    q.add_argument("--clear", action="store_true", help="forget the known columns: the next crawl discovers again")
    q = portals_parser("note", "a person's note on a portal, kept in the archive")
    q.add_argument("portal", metavar="ID", help="portal id in the registry")
    q.add_argument("text", metavar="TEXT", help="the note (empty string: remove it)")
    q = portals_parser("enable", "crawl this portal (sets enabled=1 in the registry CSV)", db=False)
    q.add_argument("portal", metavar="ID", help="portal id in the registry")
    q.add_argument("--base-url", metavar="URL", help="also set its home page (checked by hand)")
    q = portals_parser("disable", "stop crawling this portal (enabled=0 in the registry CSV; the row is kept)", db=False)
    q.add_argument("portal", metavar="ID", help="portal id in the registry")
    q.add_argument("--reason", default="", help="why, appended to the row's notes")
    q = portals_parser("add", "register a portal (a row of the registry CSV)", db=False)
    q.add_argument("region_code", metavar="REGION_CODE", help="GB/T 2260 code, e.g. 654224")
    q.add_argument("portal", metavar="ID", help="short unique ASCII id")
    q.add_argument("name", metavar="NAME", help="the publishing body, e.g. 托里县人民政府")
    q.add_argument("base_url", metavar="BASE_URL", help="the portal's home page")
    q.add_argument("extra", nargs="*", metavar="[PLATFORM] COLUMN_URL",
                   help="optional platform (trs, hanweb, gkmlpt, epoint, smallcms, auto) then report column URLs")
    q = portals_parser("discover", "find a portal's platform and report column from its home page (and register it "
                                   "when REGION_CODE ID NAME are given)", db=False)
    q.add_argument("url", metavar="URL", help="the portal's home page")
    q.add_argument("register", nargs="*", metavar="REGION_CODE ID NAME",
                   help="register the portal with this code, id and name when a column is found")
    q.add_argument("--allow-private", action="store_true", help="allow 127.0.0.1 (sample portals)")

    s = sub.add_parser("sample-portals", help="serve the sample portals on 127.0.0.1")
    s.add_argument("--port", type=int, default=8765, help="first port; portal i is served on PORT+i")
    s.add_argument("--registry", help="where to write their registry (default crawler/sample_portals/portals.csv)")
    s = sub.add_parser("store-worker", help="the archive's one writer in a distributed crawl: applies the "
                                            "items workers (xxgk crawl -s XXGK_REDIS_URL=...) put in Redis")
    s.add_argument("--redis", required=True, metavar="URL", help="e.g. redis://127.0.0.1:6379/0")
    s.add_argument("--db", default="archive.db", help="archive file (default: archive.db)")
    s.add_argument("--crawl", default=None, help="name of the shared crawl (XXGK_REDIS_CRAWL, default portals)")
    s.add_argument("--fail-on-alert", action="store_true", help="exit non-zero when a crawl-health alert fires")
    s.add_argument("--timeout", type=float, default=None, help="give up after this many seconds")

    s = sub.add_parser("doctor", help="the optional system tools (LibreOffice, Tesseract, poppler, redis-server, "
                                      "Chromium): present or not, version, what each enables")
    s.add_argument("--install", action="store_true",
                   help="install the missing Debian packages of .ci/apt-packages.txt with apt-get (idempotent)")
    s.add_argument("--dry-run", action="store_true", help="with --install: print the apt-get lines only")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module_name, func_name = HANDLERS[args.command].split(":")
    try:
        handler = getattr(importlib.import_module(module_name), func_name)
        return int(handler(args) or 0)
    except UserError as exc:
        print(f"xxgk {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"xxgk {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: still one line, the traceback only on request
        if os.environ.get("XXGK_DEBUG"):
            raise
        print(f"xxgk {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(set XXGK_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
