"""Portal selection: which registry rows a crawl covers (``-a region=CODE_PREFIX``,
``-a portal=ID``, ``-a registry=FILE``, ``-a url=…`` for an unregistered portal), the
hosts each may reach, and which platform's hooks handle each.  A mixin of
:class:`~crawler.spiders.base.PortalSpider`."""
from __future__ import annotations

from urllib.parse import urlsplit

from crawler import portals as registry


def select_portals(all_portals: list[registry.Portal], platform: str | None, region: str | None,
                   portal: str | None, url: str | None) -> list[registry.Portal]:
    """The portals a spider of *platform* (None: every platform) crawls."""
    if url:  # -a url=… : an unregistered portal on this spider's platform
        all_portals = [registry.Portal(region_code=region or "000000", id="adhoc",
                                       name=urlsplit(url).hostname or "adhoc",
                                       base_url=url, platform=platform or "auto",
                                       columns=[url], source="command line")]
        region = None
    plat = platform if platform not in (None, "auto") else None
    chosen = registry.select(all_portals, region, portal, plat)
    if platform == "auto" and not portal and not url:
        chosen = registry.select(all_portals, region, portal, "auto")
    return chosen


class PortalSelection:
    """Needs ``self.platform`` and ``self.detected`` ({portal id: fingerprinted platform})."""

    def select(self, all_portals: list[registry.Portal]) -> None:
        self.portals = select_portals(all_portals, self.platform, self.region_arg, self.portal_arg, self.url_arg)
        if self.url_arg:
            self.region_arg = None
        self.by_id = {p.id: p for p in self.portals}
        self._hosts = {p.id: p.hosts for p in self.portals}
        self._all_hosts = set().union(*self._hosts.values()) if self._hosts else set()

    def portal(self, portal_id: str | None) -> registry.Portal | None:
        return self.by_id.get(portal_id or "")

    def allowed_hosts(self, portal_id: str | None) -> set[str]:
        if portal_id and portal_id in self._hosts:
            return self._hosts[portal_id]
        return self._all_hosts

    def hooks(self, portal: registry.Portal):
        """The class whose hooks handle *portal*: this spider's own for a platform
        spider, else the platform spider registered for the portal's platform."""
        from crawler.spiders import PLATFORM_SPIDERS
        plat = self.detected.get(portal.id) or portal.platform
        if self.platform not in (None, "auto") and plat in (self.platform, "auto"):
            return type(self)
        return PLATFORM_SPIDERS.get(plat, PLATFORM_SPIDERS["auto"])
