"""Click-counter endpoints as the page scripts call them (one pattern per platform).

The patterns run over whole pages a server chose: every run of characters a pattern
may scan from a start is bounded ({0,500}) or stops at a delimiter that is not part
of the run, so a page costs time in proportion to its length."""
from __future__ import annotations

import re
from urllib.parse import urlencode

from scrapy.http import Response


def _text(response: Response) -> str:
    return response.text if hasattr(response, "text") else ""


def phpcms(response: Response) -> str | None:
    m = re.search(r"""src=["']?([^"'\s>]{0,500}api\.php\?op=count[^"'\s>]{0,500})""", _text(response))
    return response.urljoin(m.group(1).replace("&amp;", "&")) if m else None


def empirecms(response: Response) -> str | None:
    m = re.search(r"""src=["']?([^"'\s>]{0,500}/e/public/ViewClick/?\?[^"'\s>]{0,500})""", _text(response))
    return response.urljoin(m.group(1).replace("&amp;", "&")) if m else None


def vsb(response: Response) -> str | None:
    m = re.search(r"""_showDynClicks\(\s*["'](\w+)["']\s*,\s*(\d+)\s*,\s*(\d+)\s*\)""", _text(response))
    if not m:
        return None
    q = urlencode({"clickid": m.group(3), "owner": m.group(2), "clicktype": m.group(1)})
    return response.urljoin(f"/system/resource/code/news/click/dynclicks.jsp?{q}")


def hanweb(response: Response) -> str | None:
    m = re.search(r"""["']([^"']*/module/visitcount/visit\.jsp\?[^"']*)["']""", _text(response))
    return response.urljoin(m.group(1).replace("&amp;", "&")) if m else None


def epoint(response: Response) -> str | None:
    text = _text(response)
    m = re.search(r"""["'](/[^"']*(?:ViewCount|viewcount|InfoViewCount)[^"']*)["']""", text)
    i = re.search(r"""infoid["']?\s*[:=]\s*["']([^"']+)["']""", text, re.I)
    if not m:
        return None
    url = response.urljoin(m.group(1))
    if i and "infoid=" not in url.lower():
        url += ("&" if "?" in url else "?") + urlencode({"infoid": i.group(1)})
    return url


SMALL_CMS = (phpcms, empirecms, vsb)
ALL = (phpcms, empirecms, vsb, hanweb, epoint)


def find_any(response: Response, finders=ALL) -> str | None:
    for f in finders:
        url = f(response)
        if url:
            return url
    return None
