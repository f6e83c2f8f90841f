"""Synthetic reports for the archive benchmark, shaped like the national archive.

Publishers come from the project's own register (``crawler/portals.csv``): each enabled
county-level portal gives its government, :data:`DEPARTMENTS` and :data:`TOWNSHIPS` (53 publishers
a county, ~145,000 in all), each publishing one report a year for
:data:`YEARS` — about 1,010,000 reports, the size of a national archive. Publishers are taken
in a shuffled order, so a smaller run still spreads over every province.

Each report: six sections of paragraphs cut from the real reports in ``tests/fixtures/public``,
the three standard tables with random numbers (application rows with the template's
identities: totals are sums, the balance holds for ~90 % of reports), and the page as HTML in
the national template's layout (``render_html``), so ``xxgk reparse`` parses real markup.
"""
from __future__ import annotations

import csv
import html
import random
import re
from pathlib import Path

from db.labels import LABELS
from db.schema import APPLICATION_COLS, APPLICATION_ROWS, REVIEW_COLS, REVIEW_ROWS

REPO = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u3400-\u9fff]")
YEARS = tuple(range(2018, 2025))
DEPARTMENTS = (
    "发展和改革局", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局", "财政局",
    "人力资源和社会保障局", "自然资源局", "生态环境分局", "住房和城乡建设局", "交通运输局", "水利局",
    "农业农村局", "商务局", "文化广电和旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局",
    "审计局", "市场监督管理局", "统计局", "医疗保障局", "林业局", "城市管理局", "行政审批局",
    "政务服务中心", "信访局", "档案馆", "融媒体中心", "税务局", "消防救援大队", "气象局",
    "地方金融监督管理局", "体育局", "粮食和物资储备局",
)
TOWNSHIPS = ("城关镇", "城东街道", "城西街道", "新华镇", "和平乡", "东风镇", "红旗乡", "向阳镇",
             "南湖街道", "北山乡", "青山镇", "白水镇", "石桥乡", "长安镇", "永安镇")
HEADINGS = ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况",
            "政府信息公开行政复议、行政诉讼情况", "存在的主要问题及改进情况", "其他需要报告的事项")
NUMERALS = "一二三四五六"
_LABEL = {(t, kind, key): zh for t, kind, key, zh, _en in LABELS}


def corpus_paragraphs(shared: Path) -> list[str]:
    import lxml.html

    texts = []
    for p in sorted(shared.rglob("*")):
        if p.suffix == ".txt":
            texts.append(p.read_text("utf-8", errors="replace"))
        elif p.suffix == ".html":
            doc = lxml.html.fromstring(p.read_bytes())
            for bad in doc.xpath("//script|//style"):
                bad.drop_tree()
            texts.append(doc.text_content())
    paras = []
    for t in texts:
        paras += [re.sub(r"\s+", " ", b).strip() for b in re.split(r"\n\s*\n", t)]
    return [p for p in paras if len(CJK.findall(p)) >= 20]


def publishers(registry: Path = REPO / "crawler" / "portals.csv", seed: int = 7) -> list[dict]:
    """(name, region_code, region_name, level) of every synthetic publisher, shuffled."""
    out = []
    with open(registry, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row.get("enabled") != "1" or row.get("level") not in ("county", "district"):
                continue
            code, gov = row["region_code"], row["name"]
            place = re.sub(r"(人民政府|政府)$", "", gov)
            out.append({"agency": gov, "region_code": code, "region_name": place, "level": "government"})
            out += [{"agency": place + d, "region_code": code, "region_name": place, "level": "department"}
                    for d in DEPARTMENTS]
            out += [{"agency": place + t + ("办事处" if t.endswith("街道") else "人民政府"),
                     "region_code": code, "region_name": place, "level": "government"} for t in TOWNSHIPS]
    random.Random(seed).shuffle(out)
    return out


def _applications(rng: random.Random) -> dict:
    cols = [c for c in APPLICATION_COLS if c != "total"]
    busy = rng.random() < 0.3
    def cell():
        return rng.choice([0, 0, 0, rng.randint(0, 5), rng.randint(0, 60 if busy else 8)])
    rows = {}
    results = [r for r in APPLICATION_ROWS if r not in ("new_received", "carried_over", "total_handled",
                                                        "carried_forward", "other")]
    for r in results + ["carried_over", "carried_forward"]:
        rows[r] = {c: cell() for c in cols}
    rows["total_handled"] = {c: sum(rows[r][c] for r in results) for c in cols}
    balanced = rng.random() < 0.9
    rows["new_received"] = {c: max(0, rows["total_handled"][c] + rows["carried_forward"][c]
                                   - rows["carried_over"][c]) + (0 if balanced else rng.randint(0, 3))
                            for c in cols}
    for vals in rows.values():
        vals["total"] = sum(vals[c] for c in cols)
    return {r: rows[r] for r in APPLICATION_ROWS if r in rows}


def record(i: int, rng: random.Random, paras: list[str], pubs: list[dict]) -> tuple[dict, dict]:
    """(record, meta) of synthetic report ``i``: publisher ``i // len(YEARS)``, year ``i % len(YEARS)``."""
    pub = pubs[(i // len(YEARS)) % len(pubs)]
    year = YEARS[i % len(YEARS)]
    sections = [{"number": n + 1, "heading": f"{NUMERALS[n]}、{h}",
                 "text": "\n".join(rng.choice(paras) for _ in range(rng.randint(1, 4)))}
                for n, h in enumerate(HEADINGS)]
    apps = _applications(rng)
    reviews = {}
    for row in REVIEW_ROWS:
        vals = {c: rng.choice([0, 0, rng.randint(0, 6)]) for c in REVIEW_COLS[:-1]}
        vals["total"] = sum(vals.values())
        reviews[row] = vals
    balanced = all(apps["new_received"][c] + apps["carried_over"][c]
                   == apps["total_handled"][c] + apps["carried_forward"][c] for c in APPLICATION_COLS)
    rec = {
        "title": f"{pub['agency']}{year}年政府信息公开工作年度报告", "agency": pub["agency"], "report_year": year,
        "publish_date": f"{year + 1}-{rng.choice([1, 1, 2, 3, 3, 3, 4, 6]):02d}-{rng.randint(1, 28):02d}",
        "template": "2021" if year >= 2020 else "2019",
        "kind": "report", "clicks": rng.randint(0, 20000), "sections": sections,
        "active_disclosure": {"regulations": {"made": rng.randint(0, 5), "repealed": 0, "in_force": rng.randint(0, 40)},
                              "normative_documents": {"made": rng.randint(0, 30), "repealed": rng.randint(0, 9),
                                                      "in_force": rng.randint(0, 90)},
                              "licensing": {"decisions": rng.randint(0, 50000)},
                              "punishment": {"decisions": rng.randint(0, 9000)},
                              "enforcement": {"decisions": rng.randint(0, 900)},
                              "fees": {"amount": round(rng.uniform(0, 1000), 2)}},
        "applications": apps, "reviews_litigation": reviews,
        "checks": [{"name": "applications_balance", "status": "pass" if balanced else "fail", "detail": ""}],
        "parser_version": "bench",
    }
    meta = {"url": f"http://bench.invalid/{pub['region_code']}/{i}.html", "http_status": 200,
            "fetched_at": f"{year + 1}-06-01T00:00:00+00:00", "region_code": pub["region_code"],
            "region_name": pub["region_name"], "level": pub["level"]}
    return rec, meta


def _table(rows: list[list[str]]) -> str:
    return "<table border=\"1\">" + "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows) + "</table>"


def render_html(rec: dict) -> bytes:
    """The report as a portal would serve it: title, date line, sections, the three tables."""
    out = [f"<html><head><meta charset=\"utf-8\"><title>{html.escape(rec['title'])}</title></head><body>",
           f"<h1>{html.escape(rec['title'])}</h1><p>发布日期：{rec['publish_date']}</p>"]
    for s in rec["sections"]:
        out.append(f"<h2>{html.escape(s['heading'])}</h2>")
        out += [f"<p>{html.escape(p)}</p>" for p in s["text"].split("\n")]
        if s["number"] == 2:
            rows = [["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]]
            ad = rec["active_disclosure"]
            for key in ("regulations", "normative_documents"):
                rows.append([_LABEL[("active_disclosure", "row", key)], *ad[key].values()])
            rows.append(["信息内容", "本年处理决定数量"])
            for key in ("licensing", "punishment", "enforcement"):
                rows.append([_LABEL[("active_disclosure", "row", key)], ad[key]["decisions"]])
            rows += [["信息内容", "本年收费金额（单位：万元）"], ["行政事业性收费", ad["fees"]["amount"]]]
            out.append(_table(rows))
        elif s["number"] == 3:
            head = ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"] + [
                _LABEL[("applications", "col", c)] for c in APPLICATION_COLS]
            rows = [head] + [[_LABEL[("applications", "row", r)], *v.values()]
                             for r, v in rec["applications"].items()]
            out.append(_table(rows))
        elif s["number"] == 4:
            head = []
            for r in REVIEW_ROWS:
                head += [f"{_LABEL[('reviews_litigation', 'row', r)]}{_LABEL[('reviews_litigation', 'col', c)]}"
                         for c in REVIEW_COLS]
            vals = [v for r in REVIEW_ROWS for v in rec["reviews_litigation"][r].values()]
            out.append(_table([head, vals]))
    out.append("</body></html>")
    return "".join(out).encode("utf-8")
