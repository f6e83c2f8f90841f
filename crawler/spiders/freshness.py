"""Incremental crawls: which listed article needs no request (the re-validation
window), the conditional request headers of one that does, and recording an article
confirmed unchanged (304 or same content).  A mixin of
:class:`~crawler.spiders.base.PortalSpider`; see its docstring ("Incremental crawls")."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from crawler.spiders.lists import Link


def revalidate_after(days: float) -> datetime | None:
    """The moment before which a validation is too old (None: re-validate always)."""
    return (datetime.now(timezone.utc) - timedelta(days=days)) if days > 0 else None


class Freshness:
    """Needs ``self.state`` ({url: archived state}), ``self.revalidate_after``,
    ``self.archive``, ``self.count`` and ``self.mark_done``."""

    state: dict
    revalidate_after: datetime | None

    def fresh(self, url: str, link: Link) -> bool:
        """Validated recently enough, and listed as it was then: no request needed."""
        st = self.state.get(url)
        if st is None or self.revalidate_after is None or not st.validated_at:
            return False
        if (st.list_title or "") != (link.title or "") or (st.list_date or None) != (link.date or None):
            return False
        try:
            at = datetime.fromisoformat(st.validated_at)
        except ValueError:
            return False
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        return at > self.revalidate_after

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from what the archive holds for *url*."""
        headers = {}
        st = self.state.get(url)
        if st is not None:
            if st.etag:
                headers["If-None-Match"] = st.etag
            if st.last_modified:
                headers["If-Modified-Since"] = st.last_modified
        return headers

    def confirmed_unchanged(self, portal, url: str, link: Link | None, how: str) -> None:
        self.count(portal, "unchanged")
        self.crawler.stats.inc_value(f"xxgk/{how}")
        if self.archive is not None:
            self.archive.touch(url, link.title if link else None, link.date if link else None)
        self.mark_done(url)
