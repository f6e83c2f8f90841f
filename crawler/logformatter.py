"""Log lines for dropped items: one short line at INFO, without the item's repr.

A dropped item here is a decision already recorded in ``crawl_log`` (a duplicate, a
page the parser says is not a report), not a problem, so it is not a WARNING and the
raw bytes of the item are not printed.
"""
from __future__ import annotations

import logging

from scrapy import logformatter


class QuietDrops(logformatter.LogFormatter):
    def dropped(self, item, exception, response, spider):
        return {"level": logging.INFO, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}
