"""Spiders: ``portals`` (every registered portal, each with its platform's hooks), one
per platform (``trs``, ``hanweb``, ``gkmlpt``, ``epoint``, ``smallcms``) and ``auto``."""
from crawler.spiders.auto import AutoSpider
from crawler.spiders.base import PortalSpider
from crawler.spiders.platforms import EpointSpider, GkmlptSpider, HanwebSpider, SmallCmsSpider, TrsSpider

PLATFORM_SPIDERS = {
    "trs": TrsSpider,
    "hanweb": HanwebSpider,
    "gkmlpt": GkmlptSpider,
    "epoint": EpointSpider,
    "smallcms": SmallCmsSpider,
    "auto": AutoSpider,
}

__all__ = ["PLATFORM_SPIDERS", "PortalSpider", *[c.__name__ for c in PLATFORM_SPIDERS.values()]]
