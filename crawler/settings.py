"""Scrapy settings for the xxgk-archive crawler.

Polite by default; every value can be overridden with ``-s NAME=VALUE``.

* robots.txt is obeyed, one request at a time per site, at least 1 s between
  requests (``DOWNLOAD_DELAY`` 2 s randomised to 1–3 s), AutoThrottle on top.
* an honest User-Agent naming the project and where to read about it.
* size and time limits, retries with exponential backoff (:mod:`crawler.middlewares`).
* requests to hosts other than the portal's, and to private or loopback
  addresses, are refused (``XXGK_ALLOW_PRIVATE_HOSTS`` lets the tests and the
  demo reach the sample portals on 127.0.0.1).
* JavaScript challenges (HTTP 412/521) are recorded as ``blocked`` and the portal
  is skipped — never solved.
"""

BOT_NAME = "xxgk"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

PROJECT_URL = "https://github.com/xxgk-archive/xxgk-archive"
USER_AGENT = (
    f"xxgk-archive/0.1 (+{PROJECT_URL}; archives government information-disclosure "
    "annual reports; one request at a time)"
)

# --- manners -------------------------------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 64           # across portals: many sites at once (a request waiting for its
                                   # site's delay holds one of these; docs/scale.md)
CONCURRENT_REQUESTS_PER_DOMAIN = 1  # one at a time per site (Scrapy's per-host download slots)
CONCURRENT_REQUESTS_PER_IP = 0     # 0: slots per host name. Portals sharing one server each get their
                                   # own slot, so one IP hosting N portals sees at most N requests at
                                   # once, each portal's at its delay; AutoThrottle slows every slot
                                   # whose answers slow down. For one request at a time per *address*:
                                   # -s CONCURRENT_REQUESTS_PER_IP=1 -s SCHEDULER_PRIORITY_QUEUE=
                                   # scrapy.pqueues.ScrapyPriorityQueue (docs/scale.md, bench/national.py)
# hand the downloader the request of the least busy site, so the 64 are spread over many
# portals instead of queueing behind one portal's delay
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
DOWNLOAD_DELAY = 2.0               # randomised to 1.0–3.0 s
DOWNLOAD_DELAY_JITTER = 0.5        # ±50%: 1.0–3.0 s between requests to a site
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- limits --------------------------------------------------------------
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
DEPTH_LIMIT = 0

# --- retries with backoff (crawler.middlewares.BackoffRetryMiddleware) -----
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Scrapy's list without CannotResolveHostError: a name that does not resolve is not retried
# (a national registry names portals that have moved or closed; the portal is recorded as
# unreachable and asked again by the next crawl)
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    OSError,
    "scrapy.core.downloader.handlers.http11.TunnelError",
]
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"   # the portal's status records it (archive table `portals`)
RETRY_BACKOFF_BASE = 2.0           # seconds; doubled for each retry
RETRY_BACKOFF_MAX = 60.0
XXGK_URL_TIME_BUDGET = 100.0       # seconds for one URL from its first attempt, retries included
                                   # (a retry's timeout is what is left; 0: no budget)

# names are resolved by crawler.middlewares.GuardedResolver: a name resolving to a private or
# loopback address is refused at connection time (loopback allowed by XXGK_ALLOW_PRIVATE_HOSTS)
DNS_RESOLVER = "crawler.middlewares.GuardedResolver"

# 412 / 521 reach the spider so it can record the portal as blocked; 404/410 to
# count dead links; 304 for conditional requests.
HTTPERROR_ALLOWED_CODES = [304, 403, 404, 410, 412, 521]

DOWNLOADER_MIDDLEWARES = {
    "crawler.extensions.PortalProgressMiddleware": 1,          # outermost: what each portal still has to do (progress)
    "crawler.middlewares.PortalGuardMiddleware": 50,           # before robots.txt
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
}

ITEM_PIPELINES = {
    "crawler.attachments.AttachmentsPipeline": 50,      # report files and attachments (issue 5)
    "crawler.itempipelines.ParsePipeline": 100,
    "crawler.itempipelines.ValidatePipeline": 200,
    "crawler.itempipelines.DeduplicatePipeline": 300,
    "crawler.itempipelines.StorePipeline": 400,
}

EXTENSIONS = {
    "crawler.extensions.CrawlRunExtension": 500,
    "crawler.extensions.ProgressExtension": 510,
}

# distributed crawls (crawler/distributed.py): inactive unless XXGK_REDIS_URL is set
ADDONS = {
    "crawler.distributed.DistributedAddon": 0,
}

# --- xxgk settings ---------------------------------------------------------
XXGK_DB = "archive.db"             # the archive the items are stored into
XXGK_REGISTRY = None               # portal registry file; default crawler/portals.csv
XXGK_ALLOW_PRIVATE_HOSTS = False   # tests/demo: allow loopback (127.0.0.1) portals; never other
                                   # private, link-local or reserved addresses
XXGK_PROGRESS_INTERVAL = 30        # seconds between progress lines on stderr (0: none)
XXGK_INCREMENTAL = True            # conditional requests + content check
XXGK_SQLITE_CACHE_MB = 16          # SQLite page cache of the crawl's archive connection (0: keep
                                   # db.schema's 64 MB, which fills over a crawl's first ~1,500
                                   # reports: +50 MB peak RSS for no measured speed-up)
XXGK_REVALIDATE_DAYS = 7           # an article listed as when it was last validated (stored or
                                   # confirmed unchanged) less than this many days ago is not
                                   # requested again; 0: every article is re-validated each crawl

XXGK_MAX_LIST_PAGES = 100          # list pages per column (a 下一页 chain that never ends stops here)
XXGK_PORTAL_TIME_BUDGET = 3600     # seconds per portal from its first request; then no new request
                                   # (both logged as `capped` in crawl_log, alert `list_capped`)
# --- parsing off the reactor (crawler.itempipelines.ParsePipeline, pipelines.isolated) ---
XXGK_PARSE_WORKERS = 2             # worker processes parsing reports; 0: parse in the crawl's process
XXGK_PARSE_TIMEOUT = 60.0          # seconds for one page's parse; past it the worker is killed and the
                                   # page archived unparsed (warning on the version, crawl_log parse_limit)
XXGK_PARSE_FILE_TIMEOUT = 420.0    # seconds for one attachment (PDF, OCR and LibreOffice have budgets inside)
XXGK_PARSE_MEMORY_MB = 1024        # address space of a parse worker (a bloating parse fails alone)

# --- attachments (crawler.attachments.AttachmentsPipeline, a FilesPipeline) ---
XXGK_ATTACHMENTS = True            # download report files and the attachments of report pages
XXGK_FILES_STORE = None            # default: "<XXGK_DB>.files" next to the archive
XXGK_ATTACHMENT_MAXSIZE = 30 * 1024 * 1024   # bytes; larger files are abandoned (recorded as failed)
XXGK_ATTACHMENT_TIMEOUT = 120      # seconds per file
XXGK_ATTACHMENTS_PER_PAGE = 20     # at most this many attachments of one report page
XXGK_BLOCKED_STATUSES = [412, 521]
XXGK_ARCHIVE_CLASS = None          # the spider's archive: CrawlArchive, or with XXGK_REDIS_URL a Redis proxy

# crawl health (crawler/monitoring.py): alerts after each crawl, in crawl_runs.alerts
XXGK_ALERT_SHRINK = 0.2            # a portal's lists name >20 % fewer articles than last run
XXGK_ALERT_ERROR_RATE = 0.25       # >25 % of a portal's listed articles dead or failing
XXGK_ALERT_BLOCK_RATE = 0.2        # >20 % of the crawled portals blocked

# distributed crawls (crawler/distributed.py): workers share a crawl through Redis
XXGK_REDIS_URL = None              # e.g. redis://10.0.0.5:6379/0 — makes this process a worker
XXGK_REDIS_CRAWL = "portals"       # name of the shared crawl (keys xxgk:<name>:*)
XXGK_REDIS_HEARTBEAT_TTL = 10.0    # a worker silent this long is dead; its requests are requeued
XXGK_REDIS_WAIT = 60.0             # how long a worker waits for `xxgk store-worker` to open the crawl

# --- house-keeping ---------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.logformatter.QuietDrops"   # dropped items: INFO, no item repr
