"""Crafted cross-year fixtures (issue 7): builders shared by test_crossyear, test_coverage and
test_dashboards. No tests here.

The base record is the parser's reading of tests/fixtures/reports/epoint_lindai_zrzyj_2022.html
(a department report with every table filled in). Copies of it, with the agency, year, publish
date, numbers and section text changed, make publishers whose consecutive years agree (a pass
for every check) and publishers whose years contradict each other (a fail or warn for every
check), in the region of 托里县 (654224), which the test registry covers, and one in 湖滨区
(411202), which it does not.
"""
from __future__ import annotations

import copy
import datetime as _dt
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "reports"
BASE_HTML = FIXTURES / "epoint_lindai_zrzyj_2022.html"
THIS_YEAR = _dt.date.today().year

# distinct prose for the consistent publisher's years (text reuse: pass)
PROSE = {
    2021: ("本年度，本局围绕自然资源确权登记、国土空间规划编制和耕地保护督察开展公开工作，"
           "在门户网站开设专题栏目，集中发布用地审批、矿业权出让和不动产登记办事指南，"
           "全年组织业务培训三次，建立信息发布前保密审查台账，确保公开内容准确及时。"),
    2022: None,  # the base record's own text
    2023: ("二〇二三年我们把重点放在政策解读和回应关切上：邀请专家以问答形式解读征地补偿标准，"
           "在乡镇便民服务站设置查阅点，对群众来信来电逐件登记办理，并将依申请公开答复书"
           "统一使用新版格式文本，同时对历年公开目录进行清理，下线过期失效文件四十余份。"),
}
PROSE5 = {
    2021: ("存在问题：部分栏目更新不够及时，解读形式较为单一。改进措施：明确专人负责栏目维护，"
           "每月检查一次更新情况，探索图表、视频等多样化解读方式，提升群众获得感。"),
    2022: None,
    2023: ("主要不足在于基层公开标准化程度不高、数据开放刚刚起步。下一步将编制乡镇公开事项清单，"
           "推动审批结果数据按季度开放，并把公开工作纳入年度绩效考核，压实各股室责任。"),
}


def base_record() -> dict:
    from pipelines import parse_document

    rec = parse_document(BASE_HTML.read_bytes(), url=None)
    rec.pop("raw_cells", None)
    rec.pop("derived_cells", None)
    return rec


def variant(base: dict, agency: str, year: int, publish_date: str | None, *, prose: str | None = None,
            prose5: str | None = None, changes: dict | None = None) -> dict:
    """A copy of ``base`` as ``agency``'s report for ``year``; ``changes`` maps
    (table, row, col) → value."""
    rec = copy.deepcopy(base)
    old_agency, old_year = rec["agency"], rec["report_year"]
    rec["agency"] = agency
    rec["report_year"] = year
    rec["title"] = f"{agency}{year}年政府信息公开工作年度报告"
    rec["publish_date"] = publish_date
    rec["publish_datetime"] = None
    rec["checks"] = []
    for s in rec["sections"]:
        s["text"] = (s.get("text") or "").replace(old_agency, agency).replace(str(old_year), str(year))
        if s["number"] == 1 and prose:
            s["text"] = prose
        if s["number"] == 5 and prose5:
            s["text"] = prose5
    for (table, row, col), value in (changes or {}).items():
        node = rec[table]
        for part in row.split("."):
            node = node.setdefault(part, {})
        node[col] = value
    return rec


def roll_forward(prev: dict) -> dict:
    """Numbers of the next year that agree with ``prev``: carried_over = prev carried_forward,
    in_force = prev in_force + made − repealed (applicant columns kept consistent)."""
    ch = {}
    for col, v in prev["applications"]["carried_forward"].items():
        ch[("applications", "carried_over", col)] = v
    for row in ("regulations", "normative_documents"):
        ad = prev["active_disclosure"][row]
        made, repealed = 1, 0
        ch[("active_disclosure", row, "made")] = made
        ch[("active_disclosure", row, "repealed")] = repealed
        ch[("active_disclosure", row, "in_force")] = ad["in_force"] + made - repealed
    return ch


def crafted(base: dict | None = None) -> list[tuple[dict, dict]]:
    """(record, meta) of every crafted report; see the module docstring and the names below."""
    base = base or base_record()
    out: list[tuple[dict, dict]] = []

    def add(rec, region="654224"):
        out.append((rec, {"url": f"http://test.invalid/{rec['agency']}/{rec['report_year']}.html",
                          "region_code": region, "fetched_at": "2025-06-01T00:00:00+00:00"}))

    # P1 托里县自然资源局: 2021, 2022, 2023 agree with each other (every check passes);
    # 2021 and 2022 on time, 2023 late (after 31 January)
    good = "托里县自然资源局"
    y2021 = variant(base, good, 2021, "2022-01-20", prose=PROSE[2021], prose5=PROSE5[2021])
    # 2021's carried_forward must be 2022's (the base's) carried_over; in force: base − made + repealed
    ch = {("applications", "carried_forward", c): v for c, v in base["applications"]["carried_over"].items()}
    for row in ("regulations", "normative_documents"):
        ad = base["active_disclosure"][row]
        ch[("active_disclosure", row, "in_force")] = ad["in_force"] - ad["made"] + ad["repealed"]
    y2021 = variant(y2021, good, 2021, "2022-01-20", changes=ch)
    y2022 = variant(base, good, 2022, "2023-01-18")
    y2023 = variant(base, good, 2023, "2024-02-15", prose=PROSE[2023], prose5=PROSE5[2023],
                    changes={**roll_forward(y2022), ("applications", "new_received", "total"): 61})
    for r in (y2021, y2022, y2023):
        add(r)

    # P2 托里县交通运输局: 2023 contradicts 2022 in every way, and copies its prose
    bad = "托里县交通运输局"
    b2022 = variant(base, bad, 2022, "2023-01-30")
    b2023 = variant(base, bad, 2023, "2024-01-25", changes={
        ("applications", "carried_over", "total"): 7,                 # 2022 carried_forward.total = 2
        ("active_disclosure", "regulations", "in_force"): 5,          # 0 + 0 − 0 ≠ 5
        ("active_disclosure", "normative_documents", "in_force"): 20, # 9 + 2 − 1 ≠ 20
        ("applications", "new_received", "total"): 600,               # 50 → 600: ×12
        ("reviews_litigation", "review", "total"): 40,                # 4 → 40: ×10
    })
    add(b2022)
    add(b2023)

    # P3 托里县教育局: totals carried over agree, applicant columns do not (warn)
    edu = "托里县教育局"
    e2022 = variant(base, edu, 2022, "2023-01-10")
    e2023 = variant(base, edu, 2023, "2024-01-10", prose=PROSE[2023], prose5=PROSE5[2023], changes={
        **roll_forward(e2022),
        ("applications", "carried_over", "natural_person"): 1,
        ("applications", "carried_over", "commercial"): 1,
    })
    add(e2022)
    add(e2023)

    # P4 the county government under two names: one publisher (gov:654224) across years;
    # 2022 on time (a government has until 31 March), 2023 without a publish date
    g2022 = variant(base, "托里县人民政府", 2022, "2023-03-20", prose=PROSE[2021], prose5=PROSE5[2021])
    g2023 = variant(base, "塔城地区托里县人民政府", 2023, None, prose=PROSE[2023], prose5=PROSE5[2023],
                    changes=roll_forward(g2022))
    add(g2022)
    add(g2023)

    # P5 a township: its deadline is 31 January
    add(variant(base, "托里县托里镇人民政府", 2023, "2024-02-20"))

    # P6 托里县民政局: 2021 and 2023 found, 2022 missing (numbers are compared with Y−1 only;
    # text with the latest earlier report)
    add(variant(base, "托里县民政局", 2021, "2022-01-28", prose=PROSE[2021], prose5=PROSE5[2021]))
    add(variant(base, "托里县民政局", 2023, "2024-01-28", prose=PROSE[2021], prose5=PROSE5[2021]))

    # P7 a government in a region that no registry portal covers: 2023 is not_covered
    add(variant(base, "湖滨区人民政府", 2022, "2023-05-10"), region="411202")
    return out


REGISTRY_CSV = (
    "region_code,id,name,level,base_url,platform,columns,params,source,enabled,notes\n"
    "654224,test-tuoli,托里县人民政府,county,http://127.0.0.1:9/,auto,,,test,1,\n"
    "411202,test-hubin-disabled,湖滨区人民政府,district,,auto,,,test,0,no URL known\n"
)


def build(path: Path, registry: Path | None = None) -> "object":
    """An archive at ``path`` holding the crafted reports, the test registry and the checks."""
    from db.register import refresh
    from db.store import Archive

    archive = Archive(path)
    for rec, meta in crafted():
        archive.store(rec, (rec["title"] + repr(rec["applications"])).encode(), meta)
    if registry is None:
        registry = Path(path).with_suffix(".registry.csv")
        registry.write_text(REGISTRY_CSV, encoding="utf-8")
    refresh(archive, registry=registry)
    return archive
