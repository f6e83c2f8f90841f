"""Title, agency, report year, publish date, source and click count.

Read from the page furniture (the metadata line in its many spellings, the
government-website meta tags, xxgk metadata tables) and from the title. Common
date formats are read by regular expressions; ``dateparser`` takes the long tail.
A page's *rendered* date ("2024年05月19日 星期日") is never the publish date.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from .document import tight
from .values import fold

_YEAR = r"(?:19[89]\d|20[0-4]\d)"
REPORT_WORDS = re.compile(r"年度报告|年报|工作报告|公开报告|年度工作报告|报告")
DISCLOSURE_WORDS = re.compile(r"信息公开|政务公开|政府信息|政务信息")
# Titles of pages that are about a report rather than the report itself — one list for
# the parser (a page's kind) and the crawler (what not to fetch). (reason, always, pattern):
# ``always`` rules make a page not a report whatever it holds; the others (a notice about
# compiling reports, a website report form…) only when the page carries no report tables.
TITLE_RULES = [
    ("interpretation", True, re.compile(r"解读|答记者问|问答|新闻发布")),
    ("infographic", True, re.compile(r"图解|图片版|一图|图文|图说|长图|视频|动漫|H5")),
    ("notice", False, re.compile(r"通知|公告|总结|编制|报送|做好|发布会|工作会|会议|函$|意见|方案|征集|征求|公示|"
                                 r"工作要点|考核|测评|评估|说明")),
    ("other_report", False, re.compile(r"报表|决算|预算|指南|目录|提案|议案|统计公报")),
]

# label -> priority (lower wins) for the publish date. A date labelled 采集/抓取/生成/更新/收录…
# 时间 is when someone else copied, built or touched the page: never the publish date.
_DATE_LABELS = [
    ("发布时间", 0), ("发布日期", 0), ("发文日期", 2), ("发表时间", 1), ("公开日期", 1),
    ("日期", 3), ("时间", 4), ("成文日期", 7), ("印发日期", 8),
]
_DATE_PRIO = dict(_DATE_LABELS)
_DATE_LABEL_RE = re.compile(
    r"(?P<label>发布时间|发布日期|发文日期|发表时间|公开日期|成文日期|印发日期|日期|时间)"
    r"\s*[:：]\s*(?:<[^>]*>)?\s*(?P<value>[^\n]{0,40})")
_NOT_PUBLISH = re.compile(r"(?:采集|抓取|爬取|生成|更新|修改|收录|入库|访问|打印|当前|编辑|下载|保存|归档|存档|"
                          r"截图|快照|统计|办理|申请|复议|会议|培训|登记|有效|实施|失效|废止)\s*$")
# CMS fields (meta tags or elements) that carry the publish date, in order; a page's build
# time (Maketime, createdate) only when nothing else dates it
CMS_DATE_FIELDS = ("publishtime", "pubdate", "publishdate", "pubtime", "firstpublishedtime",
                   "article:published_time", "dcterms.issued", "dc.date")
LATE_DATE_FIELDS = ("maketime", "createdate")
# the labels of a platform's header table (xxgk 索引号 / 发布机构 / 公开日期 … grid)
HEADER_LABELS = ("索引号", "信息索引号", "发布机构", "发文机关", "发布单位", "公开主体", "信息来源", "来源",
                 "公开日期", "发布日期", "发布时间", "成文日期", "生成日期", "印发日期", "文号", "发文字号",
                 "主题分类", "信息分类", "名称", "标题", "文件名称", "公开方式", "公开范围", "公开时限",
                 "有效性", "所属机构", "关键词", "主题词", "体裁分类", "组配分类", "服务对象")
_HEADER_LABEL_SET = frozenset(HEADER_LABELS)
_HEADER_INLINE = re.compile(r"^(?P<label>" + "|".join(sorted(HEADER_LABELS, key=len, reverse=True))
                            + r")\s*[:：]\s*(?P<value>.+)$")
_DATE_RE = re.compile(
    r"(?P<y>" + _YEAR + r")\s*(?:[-/.年])\s*(?P<m>\d{1,2})\s*(?:[-/.月])\s*(?P<d>\d{1,2})\s*日?"
    r"(?:(?:\s*|T)(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?)?")
_BRACKET_DATE = re.compile(r"[\[［【]\s*(" + _YEAR + r"-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)\s*[\]］】]")
_META_WORDS = re.compile(r"来源|浏览|点击|阅读|作者|字号|字体|发布")
_WEEKDAY_AFTER = re.compile(r"^\s*(?:星期|周)[一二三四五六日天]")

_SOURCE_RE = re.compile(
    r"(?<!采集)(?<!数据)(?<!图片)(?:信息来源|文章来源|内容来源|稿件来源|来源|发布机构|发布单位)\s*[:：]\s*"
    r"(?P<value>[^\s|｜【】\[\]]{0,40}?)"
    r"(?=\s|$|[|｜【】\[\]]|(?:作者|编辑|责任编辑|点击|浏览|阅读|发布|日期|时间|字号|字体|访问|分享|打印|来源))")
_CLICKS_RE = re.compile(
    r"(?:点击数|点击量|点击次数|点击率|点击|浏览次数|浏览量|浏览|阅读次数|阅读数|阅读量|阅读|访问量|访问次数|查看次数|人气)"
    r"\s*[:：]?\s*(?P<n>\d{1,3}(?:[,，]\d{3})+|\d+)\s*(?:次|人次)?")


_TITLE_LABEL = re.compile(r"^\s*(?:文章标题|信息标题|文件标题|文件名称|标题|题目|名称)\s*[:：]\s*")
_SPACES = re.compile(r"\s+")
_SEPARATOR = re.compile(r"[-—_|｜–]")
_TITLE_TAIL = re.compile(r"\s*(?:--|——|[-—_|｜–])\s*(?P<tail>[^-—_|｜–]{1,30})$")


def clean_title(text: str) -> str:
    """Whitespace collapsed (as printed otherwise), furniture punctuation stripped, a
    leading ``标题：`` label and a trailing ``-站点名`` / ``_机关简称`` dropped."""
    text = _SPACES.sub(" ", text.replace("\u3000", " ").replace("\xa0", " "))
    if ":" in text or "：" in text:
        text = _TITLE_LABEL.sub("", text)
    text = text.strip(" -—_|·:：")
    if _SEPARATOR.search(text):
        text = strip_site_suffix(text).strip(" -—_|·:：")
    return text


def strip_site_suffix(title: str) -> str:
    """'XX年度报告-某县政府' -> 'XX年度报告': a short tail after a separator that names a site
    or an agency (no year, no report words, no 解读/图解 tag) is not part of the title."""
    for _ in range(3):
        m = _TITLE_TAIL.search(title)
        if not m:
            return title
        head, tail = title[:m.start()], m.group("tail")
        if not is_report_title(head) or re.search(r"\d|报告|年报", tail) or title_rule(tail) is not None:
            return title
        title = head
    return title


def is_report_title(title: str) -> bool:
    """Reads like a report's title: 报告 / 年报 and disclosure words, not a breadcrumb."""
    if "报" not in title:     # neither 报告 nor 年报 (tight only drops spaces): the common case, cheaply
        return False
    t = tight(title)
    if re.search(r"[›>»]|首页|当前位置|您的位置", t):
        return False
    if not re.search(r"报告|年报$|年报[（(]", t):
        return False
    return bool(DISCLOSURE_WORDS.search(t) or re.search(r"年度?报告|年报", t))


def title_rule(title: str) -> tuple[str, bool] | None:
    """(reason, always) of the first rule in :data:`TITLE_RULES` the title meets."""
    t = tight(title)
    for reason, always, rx in TITLE_RULES:
        if rx.search(t):
            return reason, always
    return None


def has_year(title: str) -> bool:
    return bool(re.search(_YEAR, arabic_years(fold(title))))


def classify(title: str | None) -> str:
    """What the title says the page is.

    ``report``; ``not_report`` (解读, 图解, 图片版 …); ``maybe_not_report`` (a notice
    about compiling reports, a summary, a website report form…: a report only if
    the page carries the standard tables); ``unknown`` when the title says nothing.
    """
    if not title:
        return "unknown"
    rule = title_rule(title)
    if rule:
        return "not_report" if rule[1] else "maybe_not_report"
    return "report" if is_report_title(title) else "unknown"


def pick_title(candidates: list[str]) -> str | None:
    """The first candidate that reads like a report title, else the first one."""
    cleaned = [clean_title(c) for c in candidates if c and clean_title(c)]
    for c in cleaned:
        if is_report_title(c) and re.search(_YEAR, c) and len(c) <= 80:
            return c
    for c in cleaned:
        if is_report_title(c) and len(c) <= 80:
            return c
    return cleaned[0] if cleaned else None


def split_page_title(page_title: str) -> list[str]:
    """'XX年度报告_XX县人民政府' -> the parts, the likeliest report title first."""
    parts = [p.strip() for p in re.split(r"\s*(?:[_|｜]|--|——|-|—)\s*", page_title) if p.strip()]
    parts.sort(key=lambda p: not is_report_title(p))
    return parts


_CN_DIGITS = {"〇": "0", "○": "0", "零": "0", "Ｏ": "0", "一": "1", "二": "2", "三": "3", "四": "4",
              "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_YEAR = re.compile(r"[一二][〇○零Ｏ一二三四五六七八九]{3}(?=年)")


def arabic_years(text: str) -> str:
    """二〇二三年 -> 2023年 (years only)."""
    return _CN_YEAR.sub(lambda m: "".join(_CN_DIGITS[c] for c in m.group(0)), text)


def agency_from_title(title: str) -> str | None:
    """The publishing body named in the title.

    托里县政务服务中心2023年… -> 托里县政务服务中心 (the text before the year);
    2023年度某县财政局政府信息公开… -> 某县财政局 (after the year, before the report words).
    """
    t = arabic_years(fold(title)).strip()
    if re.match(r"^关于", t):
        return None
    # a leading tag such as （图解） or 【解读】, and opening book-title marks
    t = re.sub(r"^(?:[(\[【〔][^)\]】〕]{1,6}[)\]】〕]|[《“\"'])+", "", t)
    m = re.search(r"[(（]?" + _YEAR + r"\s*年?", t)
    if not m:
        m = re.search(r"关于|政府信息公开|政务公开|信息公开", t)
        if not m:
            return None
    head = t[:m.start()]
    head = re.sub(r"\s+", "", head)
    head = re.sub(r"关于$", "", head).strip(":：,，、—-_|")
    if not head and re.match(r"[(（]?" + _YEAR, t):
        after = re.sub(r"\s+", "", t[m.end():])
        after = re.sub(r"^度", "", after)
        cut = re.search(r"(?:政府信息公开|政务公开|政务信息公开|信息公开|政府信息|年度报告|工作报告|年报)", after)
        head = after[:cut.start()] if cut else ""
        head = re.sub(r"^[(（]?\s*[)）]?", "", head).strip(":：,，、—-_|")
        if re.fullmatch(r"[度年]?|本机关|本单位|我[县市区局委办乡镇]", head):
            head = ""
    return head or None


def report_year_from_title(title: str) -> int | None:
    m = re.search(r"(" + _YEAR + r")\s*年?度?", arabic_years(fold(title)))
    return int(m.group(1)) if m else None


def report_year_from_text(text: str) -> int | None:
    """The statistics period the report states (统计期限自2023年1月1日起…)."""
    m = re.search(r"(" + _YEAR + r")\s*年\s*1\s*月\s*1\s*日\s*(?:起)?\s*至\s*(" + _YEAR + r")\s*年\s*12\s*月\s*31\s*日",
                  fold(text))
    if m:
        return int(m.group(1))
    m = re.search(r"(" + _YEAR + r")\s*年度?(?:政府信息公开|政务公开|信息公开)", fold(text))
    return int(m.group(1)) if m else None


def _parse_date(value: str):
    """(date, datetime or None) from a captured metadata value, or None."""
    v = fold(value)
    m = _DATE_RE.search(v)
    if m:
        if _WEEKDAY_AFTER.match(v[m.end():]) and not m.group("H"):
            return None
        try:
            d = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        except ValueError:
            return None
        dt = None
        if m.group("H"):
            try:
                dt = datetime(d.year, d.month, d.day, int(m.group("H")), int(m.group("M")), int(m.group("S") or 0))
            except ValueError:
                dt = None
        return d, dt
    if not re.search(r"\d|[〇一二三四五六七八九十]{2,}年", v):
        return None
    return _dateparser(v)


parse_date = _parse_date   # public name: (date, datetime|None) of a date as printed, or None


def _dateparser(value: str):
    """The long tail: '2024年1月29日下午5时', 'Jan 29, 2024'… via dateparser."""
    value = value.strip()[:40]
    try:
        import dateparser  # imported lazily: it is slow to import and rarely needed
        parsed = dateparser.parse(value, languages=["zh", "en"],
                                  settings={"PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["year", "month", "day"],
                                            "RETURN_AS_TIMEZONE_AWARE": False})
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    if parsed is None or not (1990 <= parsed.year <= 2049):
        return None
    has_time = bool(re.search(r"\d{1,2}\s*[:：时]\s*\d{1,2}", value))
    return parsed.date(), (parsed.replace(microsecond=0) if has_time else None)


def _not_publish_label(text: str, start: int) -> bool:
    """The words before a date label make it another date (采集时间, 更新日期, 生成时间 …)."""
    return bool(_NOT_PUBLISH.search(text[max(0, start - 6):start]))


def labelled_date(furniture: str):
    """(date, datetime|None, label) of the best-labelled date in the text, or None."""
    best = None
    for m in _DATE_LABEL_RE.finditer(furniture):
        label = m.group("label")
        if _not_publish_label(furniture, m.start()):
            continue
        prio = _DATE_PRIO.get(label, 9)
        got = _parse_date(m.group("value"))
        if got and (best is None or prio < best[0]):
            best = (prio, got, label)
            if prio == 0:
                break
    return (best[1][0], best[1][1], best[2]) if best else None


_OTHER_DATE = re.compile(r"(?:采集|抓取|爬取|生成|更新|修改|收录|入库|归档|存档|快照)(?:时间|日期)\s*[:：]\s*(?P<value>[^\n]{0,30})")


def other_dates(furniture: str) -> set:
    """Dates the page labels as when it was collected, built or updated (采集时间 …): a CMS
    field holding one of them is a wrapper's, not the publisher's."""
    out = set()
    if "时间" in furniture or "日期" in furniture:
        for m in _OTHER_DATE.finditer(furniture):
            got = _parse_date(m.group("value"))
            if got:
                out.add(got[0])
    return out


def _first_date(fields: dict[str, str], names, how: str):
    """(date, datetime|None, how) from the first of *names* in *fields* that holds a date."""
    for name in names:
        if fields.get(name):
            got = _parse_date(fields[name])
            if got:
                return got[0], got[1], f"{how} {name}"
    return None


def cms_date(meta: dict[str, str], fields=CMS_DATE_FIELDS):
    """(date, datetime|None, how) from the page's CMS fields (meta tags, <publishtime>…)."""
    return _first_date(meta, fields, "meta")


def find_publish_date(furniture: str, meta: dict[str, str]):
    """(date, datetime|None, how) from labelled metadata, meta tags, or a bracketed date."""
    got = labelled_date(furniture) or cms_date(meta) or cms_date(meta, LATE_DATE_FIELDS)
    if got:
        return got
    m = _BRACKET_DATE.search(furniture)
    if m:
        got = _parse_date(m.group(1))
        if got:
            return got[0], got[1], "bracketed date"
    # an unlabelled date on the metadata line itself (beside 来源, 浏览次数…)
    for line in furniture.splitlines():
        if _META_WORDS.search(line) and not re.search(r"采集|抓取|收录|更新|生成", line) and _DATE_RE.search(fold(line)):
            got = _parse_date(line)
            if got:
                return got[0], got[1], "date on the metadata line"
    return None, None, None


def header_fields(rows: list[list[str]]) -> dict[str, str]:
    """label -> value of a platform's header table (索引号 / 发布机构 / 公开日期 …).

    ``rows`` are the cell texts of table rows above the report; a label is a cell
    holding one of :data:`HEADER_LABELS` (with or without a colon) and its value the
    next cell that is not a label, or the text after the colon in the same cell.
    """
    out: dict[str, str] = {}
    for cells in rows:
        i = 0
        while i < len(cells):
            key = tight(cells[i]).rstrip(":：")
            if key in _HEADER_LABEL_SET:
                nxt = cells[i + 1].strip() if i + 1 < len(cells) else ""
                if nxt and tight(nxt).rstrip(":：") not in _HEADER_LABEL_SET:
                    out.setdefault(key, nxt)
                    i += 2
                    continue
            else:
                m = _HEADER_INLINE.match(cells[i].strip())
                if m and m.group("value").strip():
                    out.setdefault(m.group("label"), m.group("value").strip())
            i += 1
    return out


def header_date(fields: dict[str, str], labels=("公开日期", "发布日期", "发布时间")):
    """(date, datetime|None, how) from the page's header table (公开日期 …)."""
    return _first_date(fields, labels, "header")


def is_source_name(value: str | None) -> bool:
    """A publisher's name, not a URL, a date or a number."""
    if not value:
        return False
    v = value.strip()
    return bool(v) and not re.search(r"://|^www\.|\.(?:cn|com|net|org)\b|^\d", v, re.I) \
        and bool(re.search(r"[\u4e00-\u9fffA-Za-z]", v))


def find_source(furniture: str, meta: dict[str, str]) -> str | None:
    """The publisher: the CMS field (ContentSource) first, then the metadata line's 来源."""
    value = meta.get("contentsource")
    if is_source_name(value):
        return value.strip()
    for m in _SOURCE_RE.finditer(furniture):
        value = m.group("value").strip(" ：:").rstrip("。，,；;")
        if is_source_name(value):
            return value
    return None


def find_clicks(furniture: str) -> int | None:
    m = _CLICKS_RE.search(furniture)
    if not m:
        return None
    digits = re.sub(r"[,，]", "", m.group("n"))
    return int(digits) if len(digits) <= 15 else None     # a run of digits is not a count


def iso_datetime(dt: datetime | None) -> str | None:
    return dt.isoformat() + "+08:00" if dt else None
