"""Distributed crawls: several crawler processes (on one or more machines) share one
crawl through Redis; one ``xxgk store-worker`` is the archive's only writer.

    xxgk store-worker --redis redis://HOST:6379/0 --db archive.db     # first, one
    xxgk crawl -s XXGK_REDIS_URL=redis://HOST:6379/0 [-a …]           # then N workers

(``scrapy crawl portals -s XXGK_REDIS_URL=…`` is the same worker.)  Setting
``XXGK_REDIS_URL`` switches the :class:`DistributedAddon` on, which puts scrapy-redis
in place — the request queue and the duplicate filter live in Redis — and adds what
scrapy-redis leaves out for this job:

* **no lost work** — :class:`ReliableQueue` pops a request *into the worker's in-flight
  hash* (one Lua script, so a request is always either queued or in flight); the
  in-flight entry is deleted once the response's callback output is enqueued and its
  items have passed the pipelines (:class:`InFlightMiddleware`). Every worker beats a
  heartbeat key; when one stops beating (``kill -9``, a lost machine), another worker
  moves its in-flight requests back to the queue (:class:`WorkerExtension`).
* **nothing fetched twice** — list pages, which a single crawl always re-reads
  (``dont_filter``), go through the shared duplicate filter too: every worker seeds the
  same start requests and the first one wins. (``robots.txt`` is read once per worker.)
* **one writer** — the spider's archive is a :class:`RedisArchive`: every write the
  spider and pipelines make (``store_report``, ``log``, ``remember``, ``finish_run``)
  becomes an operation on a Redis list; the store-worker applies them, in order, with
  the real :class:`crawler.archive.CrawlArchive` — the same store path as a one-process
  crawl. Parsing stays in the workers (it is the CPU-heavy part). Reads the spider
  needs (incremental fetch state, "same bytes at another URL") are served from Redis
  hashes the store-worker fills from the archive when it opens the crawl.
* **an end** — a worker that is idle clears its in-flight hash; when the queue is empty
  and no worker has anything in flight the crawl is ``done``: the workers stop, the
  store-worker applies what is left, merges the workers' stats into one ``crawl_runs``
  row, runs the crawl-health checks and exits.

Redis keys, all under ``xxgk:<XXGK_REDIS_CRAWL>`` (default ``xxgk:portals``):
``requests`` (zset, scrapy-redis), ``dupefilter`` (set), ``inflight:<worker>`` (hash),
``hb:<worker>`` (heartbeat, expires), ``workers``/``workers_all``/``dead``/``finished``
(sets), ``state`` (open|done|closed), ``run_id``, ``ops``/``ops:processing`` (lists),
``fetch_state``/``sha`` (hashes).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import pickle
import socket
import sys
import time
from pathlib import Path
import uuid
from types import SimpleNamespace

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

logger = logging.getLogger(__name__)

DEFAULT_CRAWL = "portals"


def prefix_for(crawl: str | None) -> str:
    return f"xxgk:{crawl or DEFAULT_CRAWL}"


#: this process's worker id (unless XXGK_WORKER_ID names it): host, pid, a random tag
WORKER_ID = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def worker_id(settings) -> str:
    return settings.get("XXGK_WORKER_ID") or WORKER_ID


def connect(url: str):
    import redis
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30, retry_on_timeout=True)


# --------------------------------------------------------------------------- Lua
POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return nil end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
local id = redis.sha1hex(r[1])
redis.call('HSET', KEYS[2], id, r[1])
return {id, r[1]}
"""

# KEYS[1] queue; ARGV[1] prefix. Requeue the in-flight requests of workers whose heartbeat expired.
REAP = """
local dead = {}
for _, w in ipairs(redis.call('SMEMBERS', ARGV[1] .. ':workers')) do
  if redis.call('EXISTS', ARGV[1] .. ':hb:' .. w) == 0 then
    local h = redis.call('HGETALL', ARGV[1] .. ':inflight:' .. w)
    for i = 2, #h, 2 do redis.call('ZADD', KEYS[1], -1000, h[i]) end
    redis.call('DEL', ARGV[1] .. ':inflight:' .. w)
    redis.call('SREM', ARGV[1] .. ':workers', w)
    if redis.call('SISMEMBER', ARGV[1] .. ':finished', w) == 0 then
      redis.call('SADD', ARGV[1] .. ':dead', w)
      table.insert(dead, w .. ':' .. (#h / 2))
    end
  end
end
return dead
"""

# KEYS[1] queue; ARGV[1] prefix. The crawl is done when nothing is queued or in flight.
DONE = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, w in ipairs(redis.call('SMEMBERS', ARGV[1] .. ':workers_all')) do
  if redis.call('HLEN', ARGV[1] .. ':inflight:' .. w) > 0 then return 0 end
end
redis.call('SET', ARGV[1] .. ':state', 'done')
return 1
"""


# --------------------------------------------------------------------------- add-on
class DistributedAddon:
    """Always listed in ``ADDONS``; does nothing unless ``XXGK_REDIS_URL`` is set."""

    def __init__(self, crawler=None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def update_settings(self, settings) -> None:
        url = settings.get("XXGK_REDIS_URL")
        if not url:
            return
        prefix = prefix_for(settings.get("XXGK_REDIS_CRAWL"))
        settings.set("XXGK_WORKER_ID", worker_id(settings), priority="addon")
        for k, v in {
            "REDIS_URL": url,
            "SCHEDULER": "crawler.distributed.Scheduler",
            "SCHEDULER_QUEUE_CLASS": "crawler.distributed.ReliableQueue",
            "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_PERSIST": True,          # a worker that stops must not flush the shared queue
            "XXGK_ARCHIVE_CLASS": "crawler.distributed.RedisArchive",
            "XXGK_REDIS_PREFIX": prefix,
        }.items():
            settings.set(k, v, priority="addon")
        settings["SPIDER_MIDDLEWARES"]["crawler.distributed.InFlightMiddleware"] = 10
        settings["EXTENSIONS"]["crawler.distributed.WorkerExtension"] = 100


# --------------------------------------------------------------------------- scheduler
def _worker(spider) -> str:
    return spider.crawler.settings.get("XXGK_WORKER_ID")


def _prefix(spider) -> str:
    return spider.crawler.settings.get("XXGK_REDIS_PREFIX")


from scrapy_redis.queue import PriorityQueue as _PriorityQueue  # noqa: E402
from scrapy_redis.scheduler import Scheduler as _RedisScheduler  # noqa: E402

INFLIGHT = "xxgk_inflight"


class ReliableQueue(_PriorityQueue):
    """scrapy-redis' priority queue, with pops that move the request into the
    worker's in-flight hash (atomically) instead of deleting it."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.inflight_key = f"{_prefix(spider)}:inflight:{_worker(spider)}"
        self._pop = server.register_script(POP)

    def _encode_request(self, request):
        if INFLIGHT in request.meta:
            request = request.replace(meta={k: v for k, v in request.meta.items() if k != INFLIGHT})
        return super()._encode_request(request)

    def push(self, request):
        data = self._encode_request(request)
        pipe = self.server.pipeline()          # MULTI: queued again and out of flight together
        pipe.zadd(self.key, {data: -request.priority})
        if request.meta.get(INFLIGHT):         # a retry or redirect of a request we hold
            pipe.hdel(self.inflight_key, request.meta[INFLIGHT])
        pipe.execute()

    def pop(self, timeout=0):
        r = self._pop(keys=[self.key, self.inflight_key])
        if not r:
            return None
        fid, data = r
        request = self._decode_request(data)
        request.meta[INFLIGHT] = fid.decode() if isinstance(fid, bytes) else fid
        return request


class Scheduler(_RedisScheduler):
    """scrapy-redis' scheduler; list and home pages (``dont_filter`` in a one-process
    crawl, which reads each once anyway) go through the shared duplicate filter, so that
    N workers seeding the same start requests fetch each list page once."""

    def enqueue_request(self, request):
        shared = request.dont_filter and request.meta.get("kind") in ("list", "home") \
            and not request.meta.get("retry_times")
        if shared and self.df.request_seen(request):
            self.df.log(request, self.spider)
            release(self.spider, request)
            return False
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            release(self.spider, request)      # e.g. a redirect to a URL already seen
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        self.queue.push(request)
        return True


def release(spider, request) -> None:
    fid = request.meta.get(INFLIGHT)
    if fid:
        ext = getattr(spider, "xxgk_worker", None)
        if ext is not None:
            ext.server.hdel(ext.inflight_key, fid)


# --------------------------------------------------------------------------- in flight
class InFlightMiddleware:
    """Deletes a request's in-flight entry once everything its callback produced is
    safe: new requests pushed to the shared queue, items through the pipelines (and so
    in the store-worker's list)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.pending: dict[str, int] = {}
        self.exhausted: set[str] = set()
        crawler.signals.connect(self.item_done, signal=signals.item_scraped)
        crawler.signals.connect(self.item_done, signal=signals.item_dropped)
        crawler.signals.connect(self.item_done, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _done(self, fid: str) -> None:
        if self.pending.get(fid, 0) <= 0 and fid in self.exhausted:
            self.pending.pop(fid, None)
            self.exhausted.discard(fid)
            ext = getattr(self.crawler.spider, "xxgk_worker", None)
            if ext is not None:
                ext.server.hdel(ext.inflight_key, fid)

    def item_done(self, item=None, response=None, **kw):
        fid = response.request.meta.get(INFLIGHT) if response is not None and response.request else None
        if fid and fid in self.pending:
            self.pending[fid] -= 1
            self._done(fid)

    def _track(self, response, x):
        from scrapy import Request
        fid = response.request.meta.get(INFLIGHT) if response.request is not None else None
        if fid and not isinstance(x, Request):      # an item: done when the pipelines are
            self.pending[fid] = self.pending.get(fid, 0) + 1

    def _finish(self, response):
        fid = response.request.meta.get(INFLIGHT) if response.request is not None else None
        if fid:
            self.exhausted.add(fid)
            self._done(fid)

    def process_spider_output(self, response, result, spider=None):
        try:
            for x in result:
                self._track(response, x)
                yield x
        finally:
            self._finish(response)

    async def process_spider_output_async(self, response, result, spider=None):
        try:
            async for x in result:
                self._track(response, x)
                yield x
        finally:
            self._finish(response)


# --------------------------------------------------------------------------- worker
class WorkerExtension:
    """Registers the worker, beats its heartbeat, requeues dead workers' requests, and
    decides when the shared crawl is done."""

    def __init__(self, crawler):
        s = crawler.settings
        self.crawler = crawler
        self.server = connect(s.get("XXGK_REDIS_URL"))
        self.prefix = s.get("XXGK_REDIS_PREFIX")
        self.worker = s.get("XXGK_WORKER_ID")
        self.inflight_key = f"{self.prefix}:inflight:{self.worker}"
        self.queue_key = s.get("SCHEDULER_QUEUE_KEY")
        self.ttl = s.getfloat("XXGK_REDIS_HEARTBEAT_TTL", 10.0)
        self.wait = s.getfloat("XXGK_REDIS_WAIT", 60.0)
        self._reap = self.server.register_script(REAP)
        self._done = self.server.register_script(DONE)
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("XXGK_REDIS_URL"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def state(self) -> str | None:
        v = self.server.get(f"{self.prefix}:state")
        return v.decode() if v else None

    def spider_opened(self, spider):
        spider.xxgk_worker = self
        deadline = time.time() + self.wait
        while self.state() != "open":
            if time.time() > deadline:
                raise RuntimeError(f"no open crawl at {self.prefix} — start `xxgk store-worker` first")
            time.sleep(0.2)
        self.beat()
        pipe = self.server.pipeline()
        pipe.sadd(f"{self.prefix}:workers", self.worker)
        pipe.sadd(f"{self.prefix}:workers_all", self.worker)
        pipe.execute()
        logger.info("distributed worker %s joined crawl %s", self.worker, self.prefix)
        from twisted.internet import task
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(max(self.ttl / 4, 0.25), now=False)

    def beat(self):
        self.server.set(f"{self.prefix}:hb:{self.worker}", "1", px=int(self.ttl * 1000))

    def snapshot(self):
        """The worker's stats so far, for the store-worker should this worker die."""
        spider = self.crawler.spider
        st = dict(self.crawler.stats.get_stats())
        if spider is not None and hasattr(spider, "portal_summary"):
            st["xxgk/portals"] = spider.portal_summary()
        st.pop("finish_reason", None)
        self.server.hset(f"{self.prefix}:worker_snapshots", self.worker, pickle.dumps(st, protocol=4))

    def tick(self):
        try:
            self.beat()
            self.snapshot()
            dead = self._reap(keys=[self.queue_key], args=[self.prefix])
            for d in dead or []:
                logger.warning("worker %s stopped beating: its in-flight requests are queued again",
                               d.decode() if isinstance(d, bytes) else d)
                self.crawler.stats.inc_value("xxgk/distributed/reaped_workers")
        except Exception:  # Redis briefly away: try again next tick
            logger.exception("heartbeat failed")

    def spider_idle(self, spider):
        # idle: the engine holds nothing of ours, so whatever is left in our in-flight
        # hash (requests that ended without a callback, e.g. refused) is done
        self.server.delete(self.inflight_key)
        if self.state() in ("done", "closed"):
            return
        if self._done(keys=[self.queue_key], args=[self.prefix]):
            logger.info("crawl %s done: nothing queued or in flight", self.prefix)
            return
        raise DontCloseSpider

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if reason != "finished":  # SIGINT / closespider: hand the work back
            pipe = self.server.pipeline()
            for fid, data in self.server.hgetall(self.inflight_key).items():
                pipe.zadd(self.queue_key, {data: -1000})
            pipe.delete(self.inflight_key)
            pipe.execute()
        # the heartbeat is left to expire: the finish_run operation is already queued


# --------------------------------------------------------------------------- archive proxy
class RedisArchive:
    """The spider's archive in a worker: writes become operations for the store-worker."""

    local = False

    def __init__(self, server, prefix: str, worker: str):
        self.server, self.prefix, self.worker = server, prefix, worker
        self.path = f"redis:{prefix}"

    @classmethod
    def from_settings(cls, settings):
        # called by the spider before the add-on ran: derive what the add-on sets
        return cls(connect(settings.get("XXGK_REDIS_URL")), prefix_for(settings.get("XXGK_REDIS_CRAWL")),
                   worker_id(settings))

    def _op(self, name: str, *args, **kwargs) -> None:
        self.server.rpush(f"{self.prefix}:ops", pickle.dumps((name, self.worker, args, kwargs), protocol=4))

    # -- runs
    def start_run(self, spider: str) -> int:
        return 0   # the store-worker owns the run row; ops carry no run id

    def finish_run(self, run_id: int, stats: dict) -> None:
        self._op("finish_run", stats)

    # -- writes
    def store_report(self, record: dict, raw: bytes, meta: dict):
        self._op("store_report", record, raw, meta)
        return SimpleNamespace(status="queued", report_id=None, version_id=None)

    def log(self, run_id, *args, **kwargs) -> None:
        self._op("log", *args, **kwargs)

    def remember(self, *args, **kwargs) -> None:
        self._op("remember", *args, **kwargs)

    # -- reads, served from Redis
    def url_with_bytes(self, sha256: str, other_than: str) -> str | None:
        key = f"{self.prefix}:sha"
        if self.server.hsetnx(key, sha256, other_than):
            return None
        first = self.server.hget(key, sha256)
        first = first.decode() if first else None
        return first if first and first != other_than else None

    def fetch_state(self) -> dict:
        from crawler.archive import FetchState
        out = {}
        for url, v in self.server.hgetall(f"{self.prefix}:fetch_state").items():
            out[url.decode()] = FetchState(**json.loads(v))
        return out

    def close(self) -> None:
        pass

    def __getattr__(self, name):  # any other archive write the pipelines may grow
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *a, **kw: self._op(name, *a, **kw)


# --------------------------------------------------------------------------- store-worker
#: which worker's verdict on a portal wins in a merge: a worker that read one of its lists
#: knows best; one that never got a request of the portal says ``no_column`` (it saw nothing)
STATUS_RANK = ("ok", "blocked", "robots", "unreachable", "no_column")


def _merge_portal(cur: dict, s: dict) -> None:
    """Fold one worker's summary of a portal into *cur* (the names of crawler.monitoring):
    counts summed, ``column_links`` summed per column, ``columns`` united (by URL), the best
    ``status`` (:data:`STATUS_RANK`) with its ``status_reason``, else the first value."""
    def rank(st):
        return STATUS_RANK.index(st) if st in STATUS_RANK else len(STATUS_RANK)
    for kk, vv in s.items():
        if isinstance(vv, (int, float)) and not isinstance(vv, bool):
            cur[kk] = cur.get(kk, 0) + vv
        elif kk == "column_links" and isinstance(vv, dict):
            links = cur.setdefault(kk, {})
            for col, n in vv.items():
                links[col] = links.get(col, 0) + int(n or 0)
        elif kk == "columns" and isinstance(vv, list):
            have = cur.setdefault(kk, [])
            urls = {c.get("url") if isinstance(c, dict) else c for c in have}
            have.extend(c for c in vv if (c.get("url") if isinstance(c, dict) else c) not in urls)
        elif kk == "status":
            if "status" not in cur or rank(vv) < rank(cur["status"]):
                cur["status"], cur["status_reason"] = vv, s.get("status_reason")
        elif kk == "status_reason":
            continue
        elif vv not in (None, "", [], {}) or kk not in cur:
            if cur.get(kk) in (None, "", [], {}):
                cur[kk] = vv


def merge_stats(per_worker: dict[str, dict]) -> dict:
    """One run's stats from the workers': numbers summed, portal summaries merged
    (:func:`_merge_portal`: each portal's best status and every column any worker found)."""
    out: dict = {}
    portals: dict[str, dict] = {}
    reasons = []
    for worker, st in per_worker.items():
        for k, v in st.items():
            if k == "xxgk/portals":
                for pid, s in (v or {}).items():
                    _merge_portal(portals.setdefault(pid, {}), s)
            elif k == "finish_reason":
                reasons.append(v)
            elif k == "start_time":
                out[k] = min(out.get(k, v), v)
            elif k == "finish_time":
                out[k] = max(out.get(k, v), v)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out[k] = out.get(k, 0) + v
            else:
                out.setdefault(k, v)
    out["xxgk/portals"] = portals
    out["finish_reason"] = next((r for r in reasons if r != "finished"), "finished" if reasons else "no_workers")
    return out


class StoreWorker:
    def __init__(self, redis_url: str, db: str, crawl: str | None = None, poll: float = 0.5,
                 settings=None, out=sys.stderr):
        from crawler.archive import CrawlArchive
        self.server = connect(redis_url)
        self.prefix = prefix_for(crawl)
        self.archive = CrawlArchive(db)
        self.poll = poll
        self.settings = settings
        self.out = out
        self.stats: dict[str, dict] = {}
        self.counts: dict[str, int] = {}
        self.run_id: int | None = None

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def open(self) -> int:
        """Open a crawl (or join the open one, after a store-worker restart)."""
        state = self.server.get(self.key("state"))
        if state == b"open" and self.server.get(self.key("run_id")):
            self.run_id = int(self.server.get(self.key("run_id")))
            for w, raw in self.server.hgetall(self.key("worker_stats")).items():
                self.stats[w.decode()] = pickle.loads(raw)
            print(f"store-worker: rejoining crawl {self.prefix}, run {self.run_id}", file=self.out, flush=True)
            return self.run_id
        stale = [k for pat in ("requests", "dupefilter", "inflight:*", "hb:*", "workers", "workers_all", "dead",
                               "finished", "worker_stats", "worker_snapshots", "state", "run_id", "sha", "fetch_state")
                 for k in self.server.scan_iter(self.key(pat))]
        if stale:
            self.server.delete(*stale)
        # what the workers read: fetch state (conditional requests) and bytes already archived
        db = self.archive.db
        pipe = self.server.pipeline(transaction=False)
        for url, st in self.archive.fetch_state().items():
            pipe.hset(self.key("fetch_state"), url, json.dumps(dataclasses.asdict(st)))
        for sha, url in db.execute("SELECT v.sha256, r.url FROM versions v JOIN reports r ON r.id = v.report_id"):
            pipe.hsetnx(self.key("sha"), sha, url)
        pipe.execute()
        self.run_id = self.archive.start_run("portals (distributed)")
        self.server.set(self.key("run_id"), self.run_id)
        self.server.set(self.key("state"), "open")
        print(f"store-worker: crawl {self.prefix} open, run {self.run_id}, archive {self.archive.path}",
              file=self.out, flush=True)
        return self.run_id

    def apply(self, raw: bytes) -> None:
        name, worker, args, kwargs = pickle.loads(raw)
        self.counts[name] = self.counts.get(name, 0) + 1
        a = self.archive
        if name == "finish_run":
            (stats,) = args
            self.stats[worker] = stats
            pipe = self.server.pipeline()
            pipe.hset(self.key("worker_stats"), worker, pickle.dumps(stats, protocol=4))
            pipe.sadd(self.key("finished"), worker)
            pipe.execute()
        elif name == "log":
            a.log(self.run_id, *args, **kwargs)
        elif name == "store_report":
            result = a.store_report(*args, **kwargs)
            status = getattr(result, "status", "stored")
            self.counts[f"reports/{status}"] = self.counts.get(f"reports/{status}", 0) + 1
        else:
            getattr(a, name)(*args, **kwargs)

    def drain(self, timeout: float) -> int:
        """Apply the operations waiting in Redis; block up to *timeout* for the first."""
        n = 0
        ops, processing = self.key("ops"), self.key("ops:processing")
        # operations taken but not confirmed by a store-worker that stopped: apply again
        # (storing the same bytes again adds nothing)
        for raw in self.server.lrange(processing, 0, -1):
            self.apply(raw)
            self.server.lrem(processing, 1, raw)
            n += 1
        raw = self.server.blmove(ops, processing, timeout, "LEFT", "RIGHT")
        while raw is not None:
            self.apply(raw)
            self.server.lrem(processing, 1, raw)
            n += 1
            raw = self.server.lmove(ops, processing, "LEFT", "RIGHT")
        return n

    def crawl_over(self) -> bool:
        if self.server.get(self.key("state")) != b"done":
            return False
        if self.server.llen(self.key("ops")) or self.server.llen(self.key("ops:processing")):
            return False
        workers = {w.decode() for w in self.server.smembers(self.key("workers_all"))}
        for w in workers - set(self.stats):
            if self.server.exists(self.key(f"hb:{w}")):
                return False       # still closing: its finish_run is on its way
        return True

    def run(self, max_seconds: float | None = None) -> list[dict]:
        from crawler import monitoring
        self.open()
        t0 = time.time()
        while True:
            self.drain(self.poll)
            if self.crawl_over():
                self.drain(0.01)
                break
            if max_seconds and time.time() - t0 > max_seconds:
                raise TimeoutError(f"crawl {self.prefix} not done after {max_seconds} s")
        workers = {w.decode() for w in self.server.smembers(self.key("workers_all"))}
        dead = sorted(workers - set(self.stats))
        # a lost worker counts with its last snapshot (what it did up to a few seconds before)
        snaps = {w.decode(): raw for w, raw in self.server.hgetall(self.key("worker_snapshots")).items()}
        stats = merge_stats({**{w: pickle.loads(snaps[w]) for w in dead if w in snaps}, **self.stats})
        stats["xxgk/distributed/workers"] = sorted(workers)
        stats["xxgk/distributed/workers_lost"] = dead
        stats["xxgk/distributed/requests_per_worker"] = {
            w: st.get("downloader/request_count", 0) for w, st in sorted(self.stats.items())}
        stats["xxgk/distributed/operations"] = dict(self.counts)
        self.archive.finish_run(self.run_id, stats)
        alerts = monitoring.after_crawl(self.archive.db, self.run_id, stats, self.settings)
        from crawler import portals as registry
        from crawler.extensions import record_portals
        reg = self.settings.get("XXGK_REGISTRY")
        known = registry.load(reg) if not reg or Path(reg).exists() else []   # names and codes of the rows
        record_portals(self.archive.db, self.run_id, stats, {p.id: p for p in known})
        self.archive.refresh_register(self.settings.get("XXGK_REGISTRY"))
        self.server.set(self.key("state"), "closed")
        print(f"store-worker: crawl {self.prefix} done — {len(workers)} workers ({len(dead)} lost), "
              f"{self.counts.get('store_report', 0)} reports stored "
              f"({', '.join(f'{k[8:]} {v}' for k, v in sorted(self.counts.items()) if k.startswith('reports/'))}), "
              f"{self.counts.get('log', 0)} log rows, run {self.run_id}, {time.time() - t0:.1f} s",
              file=self.out, flush=True)
        for a in alerts:
            print(f"alert: {a['message']}", file=self.out, flush=True)
        self.archive.close()
        return alerts


def cmd_store_worker(args) -> int:
    """``xxgk store-worker``: the one writer of a distributed crawl."""
    from crawler.commands import _settings
    settings = _settings({})
    worker = StoreWorker(args.redis, args.db, crawl=args.crawl, settings=settings)
    alerts = worker.run(max_seconds=args.timeout)
    return 1 if (alerts and args.fail_on_alert) else 0
