"""The coverage register as tables (issue 16): what the register refresh writes gives the rows the
views gave when they grouped every report on every read — after a full refresh and an
incremental one, when the years covered grow, when portals or the registry change, after
edits the triggers notice — and the canned queries and dashboard panels rewritten to read
those tables (and the checks) by index return what they returned.

The reference is the views as they were before the tables (REF_AGENCIES, REF_REGIONS: the SQL
of db/coverage.py at the parent of this change, renamed ref_coverage_*) and the queries as
they were (OLD_QUERIES: metadata.json then). The clock: like tests/test_coverage.py, years are
placed around today's (THIS_YEAR) and, to see a deadline pass, the stored deadline of a row is
moved around date('now').
"""
from __future__ import annotations

import datetime as _dt
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from db import coverage, identity, portals
from db.register import refresh
from tests.browser_helpers import dashboard_sql
from tests.test_crossyear_fixtures import THIS_YEAR, build

REPO = Path(__file__).resolve().parent.parent

REF_AGENCIES = """CREATE VIEW ref_coverage_agencies AS
WITH RECURSIVE 
settings AS (
  SELECT
    (SELECT CAST(value AS INTEGER) FROM register_settings WHERE key = 'coverage_first_year' AND value != '') AS first_setting,
    (SELECT CAST(value AS INTEGER) FROM register_settings WHERE key = 'coverage_last_year' AND value != '') AS last_setting,
    (SELECT min(report_year) FROM reports WHERE kind = 'report') AS min_year,
    (SELECT max(report_year) FROM reports WHERE kind = 'report') AS max_year
),
bounds AS (
  SELECT CASE WHEN min_year IS NOT NULL THEN max(coalesce(first_setting, min_year), min_year)
              WHEN last_setting IS NOT NULL THEN first_setting END AS first_year,   -- no report yet: the set years
         coalesce(last_setting, max_year) AS last_year
  FROM settings
),
years(y) AS (
  SELECT first_year FROM bounds WHERE first_year IS NOT NULL
  UNION ALL SELECT y + 1 FROM years, bounds WHERE y < last_year
),
covered_codes AS (
  SELECT region_code AS code, count(*) AS portals FROM registry_portals
  WHERE enabled = 1 AND coalesce(base_url, '') != '' AND region_code IS NOT NULL
  GROUP BY region_code
),
portal_state AS (
  SELECT rp.region_code AS code,
    CASE WHEN max(p.status = 'ok') THEN 'ok'
         WHEN max(p.status = 'blocked') THEN 'blocked'
         WHEN max(p.status = 'robots') THEN 'robots'
         WHEN max(p.status = 'no_column') THEN 'no_column'
         WHEN max(p.status = 'unreachable') THEN 'unreachable' END AS portal_status,
    max(p.status_at) AS portal_status_at
  FROM registry_portals rp JOIN portals p ON p.id = rp.id
  WHERE rp.enabled = 1 AND rp.region_code IS NOT NULL AND p.status IS NOT NULL
  GROUP BY rp.region_code
),
pub AS (
  SELECT r.id AS report_id, r.report_year, r.publish_date, a.id AS agency_id, a.name AS agency,
    coalesce(a.entity_key, 'agency:' || a.id) AS entity_key, a.level,
    coalesce(a.linked_region_code, a.region_code) AS region_code, a.portal_url
  FROM reports r JOIN agencies a ON a.id = r.agency_id
  WHERE r.kind = 'report' AND r.report_year IS NOT NULL
),
found AS (
  -- report_id and agency are those of the earliest published report (SQLite's bare columns
  -- with a single min())
  SELECT entity_key, report_year, min(publish_date) AS publish_date, report_id, agency,
    count(*) AS reports
  FROM pub GROUP BY entity_key, report_year
),
latest AS (
  SELECT entity_key, agency, max(report_year * 100000000 + report_id) AS latest FROM pub GROUP BY entity_key
),
entities AS (
  SELECT pub.entity_key, min(agency_id) AS agency_id, max(level) AS level, max(region_code) AS region_code,
    min(report_year) AS first_year, max(portal_url) AS portal_url, latest.agency
  FROM pub JOIN latest ON latest.entity_key = pub.entity_key GROUP BY pub.entity_key
),
grid AS (
  SELECT e.*, years.y AS report_year,
    CASE WHEN years.y < 2019 OR e.level = 'government' THEN (years.y + 1) || '-03-31' ELSE (years.y + 1) || '-01-31' END AS deadline,
    (e.portal_url IS NOT NULL OR cc.code IS NOT NULL) AS covered
  FROM entities e JOIN years ON years.y >= e.first_year
  LEFT JOIN covered_codes cc ON cc.code = e.region_code
)
SELECT g.entity_key, CAST(g.agency_id AS INTEGER) AS agency_id, g.agency, g.level, g.region_code,
  rg.full_name AS region_name, pv.name AS province, pf.name AS prefecture,
  CAST(g.report_year AS INTEGER) AS report_year, g.deadline, CAST(f.report_id AS INTEGER) AS report_id,
  f.publish_date,
  CAST(julianday(f.publish_date) - julianday(g.deadline) AS INTEGER) AS days_late,
  CASE WHEN f.report_id IS NULL THEN
         CASE WHEN date('now') <= g.deadline THEN 'not_yet_due'
              WHEN g.covered AND ps.portal_status NOT IN ('ok') THEN 'portal_' || ps.portal_status
              WHEN g.covered THEN 'missing' ELSE 'not_covered' END
       WHEN f.publish_date IS NULL THEN 'found_undated'
       WHEN f.publish_date > g.deadline THEN 'late' ELSE 'on_time' END AS status,
  CAST(g.covered AS INTEGER) AS covered, CAST(coalesce(f.reports, 0) AS INTEGER) AS reports,
  ps.portal_status, ps.portal_status_at
FROM grid g
LEFT JOIN found f ON f.entity_key = g.entity_key AND f.report_year = g.report_year
LEFT JOIN portal_state ps ON ps.code = g.region_code
LEFT JOIN regions rg ON rg.code = g.region_code
LEFT JOIN regions pv ON pv.code = rg.province_code
LEFT JOIN regions pf ON pf.code = rg.prefecture_code"""

REF_REGIONS = """CREATE VIEW ref_coverage_regions AS
WITH RECURSIVE 
settings AS (
  SELECT
    (SELECT CAST(value AS INTEGER) FROM register_settings WHERE key = 'coverage_first_year' AND value != '') AS first_setting,
    (SELECT CAST(value AS INTEGER) FROM register_settings WHERE key = 'coverage_last_year' AND value != '') AS last_setting,
    (SELECT min(report_year) FROM reports WHERE kind = 'report') AS min_year,
    (SELECT max(report_year) FROM reports WHERE kind = 'report') AS max_year
),
bounds AS (
  SELECT CASE WHEN min_year IS NOT NULL THEN max(coalesce(first_setting, min_year), min_year)
              WHEN last_setting IS NOT NULL THEN first_setting END AS first_year,   -- no report yet: the set years
         coalesce(last_setting, max_year) AS last_year
  FROM settings
),
years(y) AS (
  SELECT first_year FROM bounds WHERE first_year IS NOT NULL
  UNION ALL SELECT y + 1 FROM years, bounds WHERE y < last_year
),
covered_codes AS (
  SELECT region_code AS code, count(*) AS portals FROM registry_portals
  WHERE enabled = 1 AND coalesce(base_url, '') != '' AND region_code IS NOT NULL
  GROUP BY region_code
),
portal_state AS (
  SELECT rp.region_code AS code,
    CASE WHEN max(p.status = 'ok') THEN 'ok'
         WHEN max(p.status = 'blocked') THEN 'blocked'
         WHEN max(p.status = 'robots') THEN 'robots'
         WHEN max(p.status = 'no_column') THEN 'no_column'
         WHEN max(p.status = 'unreachable') THEN 'unreachable' END AS portal_status,
    max(p.status_at) AS portal_status_at
  FROM registry_portals rp JOIN portals p ON p.id = rp.id
  WHERE rp.enabled = 1 AND rp.region_code IS NOT NULL AND p.status IS NOT NULL
  GROUP BY rp.region_code
),
pub AS (
  SELECT r.id AS report_id, r.report_year, r.publish_date, a.id AS agency_id, a.name AS agency,
    coalesce(a.entity_key, 'agency:' || a.id) AS entity_key, a.level,
    coalesce(a.linked_region_code, a.region_code) AS region_code, a.portal_url
  FROM reports r JOIN agencies a ON a.id = r.agency_id
  WHERE r.kind = 'report' AND r.report_year IS NOT NULL
),
found AS (
  -- report_id and agency are those of the earliest published report (SQLite's bare columns
  -- with a single min())
  SELECT entity_key, report_year, min(publish_date) AS publish_date, report_id, agency,
    count(*) AS reports
  FROM pub GROUP BY entity_key, report_year
),
gov AS (
  SELECT substr(f.entity_key, 5) AS code, f.report_year, f.publish_date, f.report_id, f.agency
  FROM found f WHERE f.entity_key LIKE 'gov:%'
),
publishers AS (
  SELECT region_code AS code, report_year, count(DISTINCT entity_key) AS publishers,
    count(*) AS reports
  FROM pub WHERE region_code IS NOT NULL GROUP BY region_code, report_year
)
SELECT rg.code AS region_code, rg.name AS region, rg.full_name AS region_name, rg.level,
  rg.province_code, pv.name AS province, rg.prefecture_code, pf.name AS prefecture,
  CAST(years.y AS INTEGER) AS report_year,
  CAST(cc.code IS NOT NULL AS INTEGER) AS covered, CAST(coalesce(cc.portals, 0) AS INTEGER) AS portals,
  CASE WHEN years.y < 2019 OR 'government' = 'government' THEN (years.y + 1) || '-03-31' ELSE (years.y + 1) || '-01-31' END AS deadline,
  CAST(gov.report_id AS INTEGER) AS government_report_id, gov.agency AS government_agency, gov.publish_date,
  CAST(julianday(gov.publish_date) - julianday(CASE WHEN years.y < 2019 OR 'government' = 'government' THEN (years.y + 1) || '-03-31' ELSE (years.y + 1) || '-01-31' END)
       AS INTEGER) AS days_late,
  CASE WHEN gov.report_id IS NOT NULL THEN
         CASE WHEN gov.publish_date IS NULL THEN 'found_undated'
              WHEN gov.publish_date > CASE WHEN years.y < 2019 OR 'government' = 'government' THEN (years.y + 1) || '-03-31' ELSE (years.y + 1) || '-01-31' END THEN 'late'
              ELSE 'on_time' END
       WHEN cc.code IS NULL THEN 'not_covered'
       WHEN date('now') <= CASE WHEN years.y < 2019 OR 'government' = 'government' THEN (years.y + 1) || '-03-31' ELSE (years.y + 1) || '-01-31' END THEN 'not_yet_due'
       WHEN ps.portal_status NOT IN ('ok') THEN 'portal_' || ps.portal_status
       ELSE 'missing' END AS status,
  CAST(coalesce(pb.publishers, 0) AS INTEGER) AS publishers_found,
  CAST(coalesce(pb.reports, 0) AS INTEGER) AS reports_found,
  ps.portal_status, ps.portal_status_at
FROM regions rg
JOIN years
LEFT JOIN covered_codes cc ON cc.code = rg.code
LEFT JOIN gov ON gov.code = rg.code AND gov.report_year = years.y
LEFT JOIN publishers pb ON pb.code = rg.code AND pb.report_year = years.y
LEFT JOIN portal_state ps ON ps.code = rg.code
LEFT JOIN regions pv ON pv.code = rg.province_code
LEFT JOIN regions pf ON pf.code = rg.prefecture_code"""

OLD_QUERIES = {
    'coverage_missing_late': """select report_year, status, agency, level, region_name, deadline, publish_date, days_late, report_id, entity_key, portal_status, portal_status_at
from coverage_agencies
where status in ('missing', 'late', 'found_undated') or status like 'portal_%'
order by report_year desc, status, days_late desc, agency""",
    'coverage_by_province': """select province, report_year, count(*) as counties, sum(covered) as covered,
  sum(status = 'on_time') as on_time, sum(status = 'late') as late,
  sum(status = 'found_undated') as undated, sum(status = 'missing') as missing,
  sum(status like 'portal_%') as portal_unread, sum(status = 'portal_no_column') as no_column,
  sum(status = 'portal_unreachable') as unreachable, sum(status = 'portal_blocked') as blocked,
  sum(status = 'portal_robots') as robots,
  sum(status = 'not_yet_due') as not_yet_due, sum(status = 'not_covered') as not_covered,
  sum(publishers_found) as publishers_found
from coverage_regions where level = 'county'
group by province_code, report_year
order by report_year desc, covered desc, publishers_found desc, province_code""",
    'coverage_of_regions': """select report_year, province, prefecture, region, level, region_code, covered, status,
  government_agency, publish_date, deadline, days_late, publishers_found, reports_found
from coverage_regions
where covered or region_code in (select linked_region_code from agencies where linked_region_code is not null)
order by report_year desc, region_code""",
    'crossyear_failures': """select r.id as report_id, r.title, ag.name as agency, r.report_year, k.name as check_name, k.status, k.detail, r.url
from checks k
join reports r on r.id = k.report_id and r.version_id = k.version_id
left join agencies ag on ag.id = r.agency_id
where k.name like 'crossyear%' and k.status in ('fail', 'warn')
order by k.status = 'fail' desc, r.report_year desc, ag.name, k.name""",
    'text_reuse': """select s.report_id, r.title, ag.name as agency, s.report_year, s.prev_year, s.prev_report_id,
  count(*) as repeated_sections,
  group_concat(s.section_number || ' ' || coalesce(s.heading, '') || ' (' || round(s.jaccard, 2) || ')', '; ') as sections,
  round(max(s.jaccard), 3) as max_jaccard, round(avg(s.containment), 3) as mean_containment
from section_similarity s
join reports r on r.id = s.report_id and r.version_id = s.version_id
left join agencies ag on ag.id = r.agency_id
where s.jaccard >= (select cast(value as real) from register_settings where key = 'textreuse_threshold')
  and min(s.chars, s.prev_chars) >= (select cast(value as integer) from register_settings where key = 'textreuse_min_chars')
  and (',' || (select value from register_settings where key = 'textreuse_sections') || ',') like '%,' || s.section_number || ',%'
group by s.report_id
order by repeated_sections desc, max_jaccard desc""",
    'archive_changes': """with session(t) as (
  -- the latest crawl: the runs started within a day before the last one (xxgk demo and a
  -- scheduled crawl start one run per portal)
  select coalesce(nullif(:since, ''), (select min(started) from crawl_runs
    where substr(started, 1, 19) >= (select strftime('%Y-%m-%dT%H:%M:%S', max(started), '-1 day') from crawl_runs)))
),
events(change, at, report_id, version_id, detail) as (
  -- a URL stored for the first time
  select 'new report', r.first_seen, r.id, null, null from reports r
  union all
  -- content that changed after it was first archived: a report edited after publication
  select 'new version', v.fetched_at, v.report_id, v.id,
    (select count(*) from cells c where c.version_id = v.id and not exists (
       select 1 from cells p where p.version_id = (select max(v3.id) from versions v3 where v3.report_id = v.report_id and v3.id < v.id)
         and p.table_name = c.table_name and p.row_key = c.row_key and p.col_key = c.col_key and p.value is c.value))
    || ' table cells differ from the version before'
  from versions v where v.id > (select min(v0.id) from versions v0 where v0.report_id = v.report_id)
  union all
  -- not seen on its portal for 8 days before the portal's latest crawl (a seen, unchanged
  -- article is revalidated at least every 7 days: XXGK_REVALIDATE_DAYS); the archive keeps it
  select 'disappeared', r.last_seen, r.id, null, 'last seen ' || r.last_seen
  from reports r join crawl_fetch_state f on f.url = r.url
  join (select portal, strftime('%Y-%m-%dT%H:%M:%S', max(coalesce(validated_at, fetched_at)), '-8 days') as cutoff
        from crawl_fetch_state group by portal) pl on pl.portal = f.portal
  where substr(r.last_seen, 1, 19) < pl.cutoff
)
select e.change, case e.change when 'new report' then '新报告' when 'new version' then '报告被修改' else '已从网站消失' end as 变化, e.at, e.report_id, r.title, ag.name as agency,
  coalesce(rg.full_name, r.region_name) as region, r.report_year, e.version_id, e.detail
from events e, session s
join reports r on r.id = e.report_id
left join agencies ag on ag.id = r.agency_id
left join regions rg on rg.code = coalesce(ag.linked_region_code, r.region_code)
where e.change = 'disappeared' or s.t is null or substr(e.at, 1, 19) >= substr(s.t, 1, 19)
order by e.change = 'disappeared', e.at desc, e.report_id
limit 1000""",
    'feed_region': """with events(change, at, report_id, version_id, detail) as (
  -- a URL stored for the first time
  select 'new report', r.first_seen, r.id, null, null from reports r
  union all
  -- content that changed after it was first archived: a report edited after publication
  select 'new version', v.fetched_at, v.report_id, v.id,
    (select count(*) from cells c where c.version_id = v.id and not exists (
       select 1 from cells p where p.version_id = (select max(v3.id) from versions v3 where v3.report_id = v.report_id and v3.id < v.id)
         and p.table_name = c.table_name and p.row_key = c.row_key and p.col_key = c.col_key and p.value is c.value))
    || ' table cells differ from the version before'
  from versions v where v.id > (select min(v0.id) from versions v0 where v0.report_id = v.report_id)
  union all
  -- not seen on its portal for 8 days before the portal's latest crawl (a seen, unchanged
  -- article is revalidated at least every 7 days: XXGK_REVALIDATE_DAYS); the archive keeps it
  select 'disappeared', r.last_seen, r.id, null, 'last seen ' || r.last_seen
  from reports r join crawl_fetch_state f on f.url = r.url
  join (select portal, strftime('%Y-%m-%dT%H:%M:%S', max(coalesce(validated_at, fetched_at)), '-8 days') as cutoff
        from crawl_fetch_state group by portal) pl on pl.portal = f.portal
  where substr(r.last_seen, 1, 19) < pl.cutoff
)
select 'tag:xxgk-archive,2024:' || replace(e.change, ' ', '-') || ':' || e.report_id || ':' || coalesce(e.version_id, e.at) as atom_id,
  case e.change when 'new report' then '新报告' when 'new version' then '报告被修改' else '已从网站消失' end || '：' || coalesce(r.title, r.url) as atom_title,
  e.at as atom_updated,
  '/report/' || e.report_id as atom_link,
  coalesce(ag.name, '') || '（' || coalesce(rg.full_name, r.region_name, '') || '）' || coalesce('，' || e.detail, '') || '。原文 ' || r.url as atom_content,
  ag.name as atom_author_name,
  e.change, e.report_id, r.title, ag.name as agency, e.at
from events e
join reports r on r.id = e.report_id
left join agencies ag on ag.id = r.agency_id
left join regions rg on rg.code = coalesce(ag.linked_region_code, r.region_code)
where coalesce(ag.linked_region_code, r.region_code) = :region_code or r.region_code = :region_code
order by e.at desc
limit 50""",
    'feed_agency': """with events(change, at, report_id, version_id, detail) as (
  -- a URL stored for the first time
  select 'new report', r.first_seen, r.id, null, null from reports r
  union all
  -- content that changed after it was first archived: a report edited after publication
  select 'new version', v.fetched_at, v.report_id, v.id,
    (select count(*) from cells c where c.version_id = v.id and not exists (
       select 1 from cells p where p.version_id = (select max(v3.id) from versions v3 where v3.report_id = v.report_id and v3.id < v.id)
         and p.table_name = c.table_name and p.row_key = c.row_key and p.col_key = c.col_key and p.value is c.value))
    || ' table cells differ from the version before'
  from versions v where v.id > (select min(v0.id) from versions v0 where v0.report_id = v.report_id)
  union all
  -- not seen on its portal for 8 days before the portal's latest crawl (a seen, unchanged
  -- article is revalidated at least every 7 days: XXGK_REVALIDATE_DAYS); the archive keeps it
  select 'disappeared', r.last_seen, r.id, null, 'last seen ' || r.last_seen
  from reports r join crawl_fetch_state f on f.url = r.url
  join (select portal, strftime('%Y-%m-%dT%H:%M:%S', max(coalesce(validated_at, fetched_at)), '-8 days') as cutoff
        from crawl_fetch_state group by portal) pl on pl.portal = f.portal
  where substr(r.last_seen, 1, 19) < pl.cutoff
)
select 'tag:xxgk-archive,2024:' || replace(e.change, ' ', '-') || ':' || e.report_id || ':' || coalesce(e.version_id, e.at) as atom_id,
  case e.change when 'new report' then '新报告' when 'new version' then '报告被修改' else '已从网站消失' end || '：' || coalesce(r.title, r.url) as atom_title,
  e.at as atom_updated,
  '/report/' || e.report_id as atom_link,
  coalesce(ag.name, '') || '（' || coalesce(rg.full_name, r.region_name, '') || '）' || coalesce('，' || e.detail, '') || '。原文 ' || r.url as atom_content,
  ag.name as atom_author_name,
  e.change, e.report_id, r.title, ag.name as agency, e.at
from events e
join reports r on r.id = e.report_id
left join agencies ag on ag.id = r.agency_id
left join regions rg on rg.code = coalesce(ag.linked_region_code, r.region_code)
where r.agency_id in (select id from agencies where id = :agency_id or entity_key = (select entity_key from agencies where id = :agency_id))
order by e.at desc
limit 50""",
    "panel publishers": """select count(distinct entity_key) as publishers from coverage_agencies where region_code not like '99%'""",
    "panel late-count": """select count(*) as late from coverage_agencies where status = 'late' and region_code not like '99%'""",
    "panel missing-count": """select count(*) as missing from coverage_agencies where status = 'missing' and region_code not like '99%'""",
    "panel crossyear-count": """select count(distinct k.report_id) as failing from checks k join reports r on r.version_id = k.version_id
where k.name like 'crossyear%' and k.status = 'fail'""",
    "panel status-grid": """select agency || ' [' || case when region_code like '99%' then '样例 sample' else coalesce(region_name, '?') end || ']' as publisher, report_year, status,
  coalesce(publish_date, '') as publish_date, deadline, days_late
from coverage_agencies
order by region_code, agency, report_year
limit 1000""",
    "panel status-per-year": """select report_year, status, count(*) as publishers from coverage_agencies where region_code not like '99%' group by report_year, status order by report_year""",
    "panel coverage-province": """select province, status, count(*) as counties
from coverage_regions
where level = 'county' and report_year = (select max(report_year) from reports where kind = 'report')
group by province_code, status""",
    "panel coverage-prefecture": """select coalesce(province, '') || coalesce(prefecture, region) as prefecture, status, count(*) as regions
from coverage_regions
where level in ('county', 'prefecture') and report_year = (select max(report_year) from reports where kind = 'report')
  and coalesce(prefecture_code, region_code) in (
    select coalesce(prefecture_code, region_code) from coverage_regions
    where report_year = (select max(report_year) from reports where kind = 'report') and (covered or reports_found > 0))
group by 1, status""",
    "panel crossyear-table": """with x as (
  select r.id as report, replace(replace(replace(ag.name, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') as agency, r.report_year as year, k.name as check_name, k.status,
    replace(replace(replace(k.detail, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') as detail
  from checks k join reports r on r.id = k.report_id and r.version_id = k.version_id
  left join agencies ag on ag.id = r.agency_id
  where k.name like 'crossyear%' and k.status in ('fail', 'warn')
  order by k.status = 'fail' desc, r.report_year desc
)
select * from x
union all select null, '(none)', null, null, null, null where not exists (select 1 from x)""",
}


# ------------------------------------------------------------------ a generated archive
# real regions (so agencies link), each with a government under two spellings, departments and
# a township; 411202 has no enabled portal (not covered)
PLACES = {
    "320813": ("洪泽区", "淮安市洪泽区"),
    "110101": ("东城区", "北京市东城区"),
    "411424": ("柘城县", "商丘市柘城县"),
    "654224": ("托里县", "塔城地区托里县"),
    "411202": ("湖滨区", "三门峡市湖滨区"),
}
DEPARTMENTS = ("财政局", "教育局", "司法局")
REGISTRY = (
    "region_code,id,name,level,base_url,platform,columns,params,source,enabled,notes\n"
    "320813,gen-hz,洪泽区人民政府,county,http://127.0.0.1:9/hz/,auto,,,test,1,\n"
    "110101,gen-dc,东城区人民政府,county,http://127.0.0.1:9/dc/,auto,,,test,1,\n"
    "110101,gen-dc2,东城区政务公开,county,http://127.0.0.1:9/dc2/,auto,,,test,1,\n"
    "411424,gen-zc,柘城县人民政府,county,http://127.0.0.1:9/zc/,auto,,,test,1,\n"
)
T0 = _dt.datetime(2024, 1, 1, tzinfo=_dt.timezone.utc)


class Clock:
    """Distinct fetch times, one minute apart (first_seen, fetched_at, last_seen)."""

    def __init__(self):
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return (T0 + _dt.timedelta(minutes=self.n)).isoformat()


def publishers(code: str) -> list[tuple[str, str, str]]:
    """(name, variant spelling, level) of a place's publishers."""
    name, full = PLACES[code]
    out = [(f"{name}人民政府", f"{full}人民政府", "government")]
    out += [(f"{name}{d}", f"{full}{d}", "department") for d in DEPARTMENTS]
    out.append((f"{name}城关镇人民政府", f"{name}城关镇人民政府", "township"))
    return out


def dates(rng: random.Random, year: int, level: str) -> list[str | None]:
    """Publish dates of a publisher's reports for ``year``: none (missing), on time, late,
    undated, or two reports."""
    due = _dt.date(year + 1, 3 if level == "government" or year < 2019 else 1, 31)
    r = rng.random()
    day = _dt.timedelta(days=1)
    if r < .2:
        return []
    if r < .5:
        return [(due - rng.randint(0, 60) * day).isoformat()]
    if r < .7:
        return [(due + rng.randint(1, 90) * day).isoformat()]
    if r < .8:
        return [None]
    return [(due - rng.randint(1, 30) * day).isoformat(), (due + rng.randint(1, 30) * day).isoformat()]


def store(archive, clock, name: str, code: str, year: int, published: str | None, n: int = 0,
          body: str = "") -> int:
    url = f"http://gen.invalid/{code}/{name}/{year}/{n}.html"
    result = archive.store(
        {"title": f"{name}{year}年政府信息公开工作年度报告", "agency": name, "report_year": year,
         "publish_date": published}, f"{url} {published} {body}".encode(),
        {"url": url, "region_code": code, "fetched_at": clock()})
    return archive.db.execute("SELECT agency_id FROM reports WHERE id = ?", (result.report_id,)).fetchone()[0]


def generate(archive, clock, rng, codes, years, held_back=()) -> set[int]:
    """Reports of the places' publishers for ``years``; the agency ids stored."""
    stored = set()
    for code in codes:
        for name, variant, level in publishers(code):
            for year in years:
                if (code, name, year) in held_back:
                    continue
                spelling = variant if year % 2 else name
                for n, published in enumerate(dates(rng, year, level)):
                    stored.add(store(archive, clock, spelling, code, year, published, n))
    return stored


# ------------------------------------------------------------------ comparing
def create_reference(db) -> None:
    for name, sql in (("ref_coverage_agencies", REF_AGENCIES), ("ref_coverage_regions", REF_REGIONS)):
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(sql)


def rows(db, sql: str, params=None) -> list[tuple]:
    return [tuple(r) for r in db.execute(sql, params or {}).fetchall()]


def typed(rs):
    """Rows with each value's type: 1 and 1.0 and True are not the same cell."""
    return Counter(tuple((type(v).__name__, v) for v in r) for r in rs)


def assert_as_before(db) -> None:
    """The views give the rows the old views give, column for column."""
    create_reference(db)
    for view in ("coverage_agencies", "coverage_regions"):
        new = db.execute(f"SELECT * FROM {view}")
        ncols = [d[0] for d in new.description]
        new = [tuple(r) for r in new.fetchall()]
        ref = db.execute(f"SELECT * FROM ref_{view}")
        assert ncols == [d[0] for d in ref.description]
        ref = [tuple(r) for r in ref.fetchall()]
        assert typed(new) == typed(ref), (view, (typed(new) - typed(ref)).most_common(3),
                                          (typed(ref) - typed(new)).most_common(3))


def snapshot(db) -> dict:
    return {t: sorted(rows(db, f"SELECT * FROM {t}"), key=repr)
            for t in ("coverage_agency_years", "coverage_region_years", "coverage_found", "coverage_region_state")}


def assert_as_rebuilt(db) -> None:
    """What the incremental refresh left equals a full recompute."""
    before = snapshot(db)
    coverage.rebuild(db)
    after = snapshot(db)
    for table in before:
        assert before[table] == after[table], table


# the ORDER BY of each query, as positions of its result columns (rows with equal keys may come
# in any order, before as now)
ORDER_KEYS = {
    "coverage_missing_late": lambda r: (r[0], r[1], r[7], r[2]),
    "coverage_by_province": lambda r: (r[1], r[3], r[15]),
    "coverage_of_regions": lambda r: (r[0], r[5]),
    "crossyear_failures": lambda r: (r[5], r[3], r[2], r[4]),
    "text_reuse": lambda r: (r[6], r[8]),
    "archive_changes": lambda r: (r[0] == "disappeared", r[2], r[3]),
    "feed_region": lambda r: r[10],
    "feed_agency": lambda r: r[10],
    "panel status-grid": lambda r: r[:2],
    "panel status-per-year": lambda r: r[0],
    "panel crossyear-table": lambda r: (r[4], r[2]),
}


def new_queries() -> dict:
    meta = json.loads((REPO / "metadata.json").read_text("utf-8"))
    charts = meta["plugins"]["datasette-dashboards"]["coverage"]["charts"]
    return {name: (dashboard_sql(charts[name[6:]]["query"], {}) if name.startswith("panel ")
                   else meta["databases"]["archive"]["queries"][name]["sql"]) for name in OLD_QUERIES}


def assert_queries_as_before(db, params: dict) -> dict:
    """Every rewritten query returns the rows it returned (through the old views), in its order."""
    create_reference(db)
    out = {}
    for name, sql in new_queries().items():
        old_sql = OLD_QUERIES[name].replace("coverage_agencies", "ref_coverage_agencies").replace(
            "coverage_regions", "ref_coverage_regions")
        p = {k: v for k, v in params.items() if f":{k}" in sql}
        old, new = rows(db, old_sql, p), rows(db, sql, p)
        assert typed(new) == typed(old), (name, (typed(new) - typed(old)).most_common(2),
                                          (typed(old) - typed(new)).most_common(2))
        key = ORDER_KEYS.get(name)
        if key:
            assert [key(r) for r in new] == [key(r) for r in old], name
        out[name] = len(new)
    return out


# ------------------------------------------------------------------ the scenario
@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """Phase by phase; each phase's archive state is checked by the tests below in order."""
    path = tmp_path_factory.mktemp("coverage16") / "archive.db"
    archive = build(path)   # the crafted cross-year reports of 托里县 and 湖滨区, refreshed
    registry = path.with_suffix(".gen.csv")
    registry.write_text(REGISTRY, encoding="utf-8")
    return {"archive": archive, "db": archive.db, "registry": registry, "clock": Clock(),
            "rng": random.Random(16), "path": path}


YEARS = range(2019, THIS_YEAR)


def test_full_refresh_gives_the_old_rows(scenario):
    s = scenario
    held = {("320813", "洪泽区财政局", THIS_YEAR - 1), ("320813", "洪泽区人民政府", 2021)}
    generate(s["archive"], s["clock"], s["rng"], ["320813", "654224", "411202", "411424"], YEARS, held)
    result = refresh(s["archive"], registry=s["registry"])
    assert result["coverage"] == "rebuilt"
    db = s["db"]
    statuses = {st for (st,) in db.execute("SELECT DISTINCT status FROM coverage_agencies")}
    assert {"on_time", "late", "found_undated", "missing", "not_covered"} <= statuses
    assert_as_before(db)


def test_incremental_refresh_after_new_reports(scenario):
    s = scenario
    a, clock, db = s["archive"], s["clock"], s["db"]
    touched = set()
    # a missing year found, a new year of a publisher, a third spelling of a government
    touched.add(store(a, clock, "洪泽区财政局", "320813", THIS_YEAR - 1, f"{THIS_YEAR}-01-05"))
    touched.add(store(a, clock, "洪泽区人民政府", "320813", 2021, "2022-04-20"))
    touched.add(store(a, clock, "江苏省淮安市洪泽区人民政府", "320813", 2019, "2020-02-01", n=7))
    # a new place with its publishers, and a new version of a report with another date
    touched |= generate(a, clock, s["rng"], ["110101"], YEARS)
    touched.add(store(a, clock, "洪泽区教育局", "320813", 2020, "2021-06-30", body="edited"))
    url = "http://gen.invalid/320813/洪泽区教育局/2020/0.html"
    rid = db.execute("SELECT id FROM reports WHERE url = ?", (url,)).fetchone()
    if rid:   # a report of that year exists: store its page again, changed
        touched.add(store(a, clock, "洪泽区教育局", "320813", 2020, "2021-02-02", body="second version"))
    before = db.execute("SELECT count(*) FROM coverage_agency_years").fetchone()[0]
    result = refresh(a, registry=s["registry"], agency_ids=sorted(touched))
    assert result["coverage"] == "updated" and 0 < result["coverage_publishers"] < 20
    assert db.execute("SELECT count(*) FROM coverage_agency_years").fetchone()[0] > before
    assert_as_before(db)
    assert_as_rebuilt(db)


def test_portal_statuses_and_registry_changes(scenario):
    s = scenario
    db = s["db"]
    # one of 东城区's two portals unreachable, the other never crawled: not yet a verdict for the
    # region; both failed: its missing reports are portal_unreachable; 洪泽区 blocked
    portals.record_crawl(db, 1, [{"id": "gen-dc", "status": "unreachable"}, {"id": "gen-hz", "status": "blocked"}],
                         at="2026-01-02T00:00:00+00:00")
    assert_as_before(db)
    portals.record_crawl(db, 2, [{"id": "gen-dc2", "status": "no_column"}], at="2026-01-03T00:00:00+00:00")
    found = {st for (st,) in db.execute("SELECT DISTINCT status FROM coverage_agencies WHERE region_code = '110101'")}
    assert "portal_unreachable" in found or "portal_no_column" in found
    assert_as_before(db)
    # the registry loses 柘城县's portal: its publishers are no longer covered
    s["registry"].write_text(REGISTRY.replace("test,1,\n", "test,0,\n", 4)[:0] + "\n".join(
        line.replace(",test,1,", ",test,0,") if line.startswith("411424") else line
        for line in REGISTRY.splitlines()) + "\n", encoding="utf-8")
    refresh(s["archive"], registry=s["registry"], agency_ids=[])
    assert db.execute("SELECT count(*) FROM coverage_regions WHERE region_code = '411424' AND covered = 1"
                      ).fetchone()[0] == 0
    assert_as_before(db)
    assert_as_rebuilt(db)


def test_edits_the_triggers_notice(scenario):
    """An agency leaving its publisher (unmerge) and a report's year or date changed in place
    are picked up by the next refresh, whatever agencies it is given."""
    s = scenario
    db = s["db"]
    merged = db.execute("SELECT id FROM agencies WHERE merged_into IS NOT NULL AND entity_key LIKE 'agency:%' "
                        "ORDER BY id").fetchone()
    assert merged, "the generated spellings of a department were merged"
    identity.unmerge(db, merged[0])
    rid = db.execute("SELECT r.id FROM reports r JOIN agencies a ON a.id = r.agency_id "
                     "WHERE a.name = '洪泽区司法局' ORDER BY r.id LIMIT 1").fetchone()[0]
    with db.atomic():
        db.execute("UPDATE reports SET publish_date = NULL WHERE id = ?", (rid,))
    rid = db.execute("SELECT r.id FROM reports r JOIN agencies a ON a.id = r.agency_id "
                     "WHERE a.name = '东城区教育局' ORDER BY r.report_year DESC LIMIT 1").fetchone()[0]
    with db.atomic():
        db.execute("UPDATE reports SET report_year = report_year - 3 WHERE id = ?", (rid,))
    assert db.execute("SELECT count(*) FROM coverage_dirty").fetchone()[0] >= 3
    result = coverage.refresh(db, agency_ids=[])
    assert result["coverage"] == "updated" and result["coverage_publishers"] >= 3
    assert db.execute("SELECT count(*) FROM coverage_dirty").fetchone()[0] == 0
    assert_as_before(db)
    assert_as_rebuilt(db)


def test_years_grow(scenario):
    """A report of a later year: every publisher gets a row for it (a rebuild), not yet due."""
    s = scenario
    db = s["db"]
    assert db.execute("SELECT max(report_year) FROM coverage_agency_years").fetchone()[0] == THIS_YEAR - 1
    aid = store(s["archive"], s["clock"], "柘城县财政局", "411424", THIS_YEAR, None)
    result = refresh(s["archive"], agency_ids=[aid])
    assert result["coverage"] == "rebuilt"
    n = db.execute("SELECT count(DISTINCT entity_key) FROM coverage_agency_years").fetchone()[0]
    assert db.execute("SELECT count(*) FROM coverage_agencies WHERE report_year = ?", (THIS_YEAR,)).fetchone()[0] == n
    assert db.execute("SELECT DISTINCT status FROM coverage_agencies WHERE report_year = ? AND report_id IS NULL",
                      (THIS_YEAR,)).fetchall() == [("not_yet_due",)]
    assert_as_before(db)


def test_not_yet_due_follows_the_date_without_a_refresh(scenario):
    """The tables keep what a row's status will be once its deadline has passed; the views say
    not_yet_due until date('now') passes the deadline."""
    db = scenario["db"]
    key, year, due = db.execute(
        "SELECT entity_key, report_year, due_status FROM coverage_agency_years WHERE report_year = ? "
        "AND report_id IS NULL AND covered = 1 ORDER BY entity_key LIMIT 1", (THIS_YEAR,)).fetchone()
    assert due in ("missing", "portal_unreachable", "portal_no_column", "portal_blocked")

    def status():
        return db.execute("SELECT status FROM coverage_agencies WHERE entity_key = ? AND report_year = ?",
                          (key, year)).fetchone()[0]

    assert status() == "not_yet_due"
    with db.atomic():   # the deadline passes (yesterday): no refresh needed
        db.execute("UPDATE coverage_agency_years SET deadline = date('now', '-1 day') "
                   "WHERE entity_key = ? AND report_year = ?", (key, year))
    assert status() == due
    with db.atomic():   # due today: not yet
        db.execute("UPDATE coverage_agency_years SET deadline = date('now') WHERE entity_key = ? AND report_year = ?",
                   (key, year))
    assert status() == "not_yet_due"
    # the same for a region's government report, and a found report never waits
    code = db.execute("SELECT region_code FROM coverage_region_years WHERE report_year = ? AND covered = 1 "
                      "AND government_report_id IS NULL ORDER BY region_code LIMIT 1", (THIS_YEAR,)).fetchone()[0]
    region = "SELECT status FROM coverage_regions WHERE region_code = ? AND report_year = ?"
    assert db.execute(region, (code, THIS_YEAR)).fetchone()[0] == "not_yet_due"
    with db.atomic():
        db.execute("UPDATE coverage_region_years SET deadline = date('now', '-1 day') WHERE region_code = ? "
                   "AND report_year = ?", (code, THIS_YEAR))
    assert db.execute(region, (code, THIS_YEAR)).fetchone()[0] != "not_yet_due"
    coverage.rebuild(db)   # the moved deadlines back
    assert status() == "not_yet_due"
    assert db.execute("SELECT count(*) FROM coverage_agencies WHERE report_id IS NOT NULL AND status = 'not_yet_due'"
                      ).fetchone()[0] == 0


def test_queries_and_panels_as_before(scenario):
    """Each rewritten canned query and panel against the old one over the old views; the
    changes feeds with new versions, reports gone from their portal and a crawl session."""
    s = scenario
    db, clock = s["db"], s["clock"]
    with db.atomic():
        # a crawl of 洪泽区's portal: every report URL fetched, the latest a day ago; three
        # reports not seen for weeks before it (gone from the portal)
        urls = [u for (u,) in db.execute("SELECT url FROM reports WHERE region_code = '320813' ORDER BY id")]
        for i, url in enumerate(urls):
            db.execute("INSERT OR REPLACE INTO crawl_fetch_state(url, portal, fetched_at, validated_at) "
                       "VALUES (?, 'gen-hz', ?, ?)", (url, clock(), clock() if i % 3 else None))
        for url in urls[:3]:
            db.execute("UPDATE reports SET last_seen = '2023-06-01T00:00:00+00:00' WHERE url = ?", (url,))
        db.execute("INSERT INTO crawl_runs(spider, started) VALUES ('portals', ?)", (clock(),))
    # new versions after the crawl started: a report of 洪泽区 edited, twice
    edited = {store(s["archive"], clock, "洪泽区教育局", "320813", 2022, "2023-01-09", body=f"edit {n}")
              for n in range(2)}
    # and reports of years before the register's (more than a feed's 50 changes in the region)
    edited |= {store(s["archive"], clock, f"洪泽区{d}", "320813", year, f"{year + 1}-03-01")
               for d in DEPARTMENTS for year in range(2012, 2019)}
    refresh(s["archive"], agency_ids=edited)
    gov = db.execute("SELECT id FROM agencies WHERE name = '洪泽区人民政府'").fetchone()[0]
    done = {}
    for since in ("", "2024-01-01T01:00:00+00:00", "2030-01-01"):
        done[since] = assert_queries_as_before(db, {"since": since, "region_code": "320813", "agency_id": gov})
    # since 1 a.m. on the first day: nearly everything; the latest crawl: what came after it;
    # 2030: only the reports gone from their portal
    changes = [done[since]["archive_changes"] for since in ("2024-01-01T01:00:00+00:00", "", "2030-01-01")]
    assert changes[0] > changes[1] > changes[2] == 3, changes
    assert done[""]["feed_region"] == 50 and done[""]["crossyear_failures"] > 0
    # a page of 1,000 changes is drawn from each kind's newest 1,000: the same with a page of 25
    for since in ("", "2024-01-01T01:00:00+00:00"):
        old = OLD_QUERIES["archive_changes"].replace("limit 1000", "limit 25")
        new = new_queries()["archive_changes"].replace("limit 1000", "limit 25")
        assert rows(db, new, {"since": since}) == rows(db, old, {"since": since})
    # and when nothing failed a cross-year check
    with db.atomic():
        db.execute("UPDATE checks SET status = 'pass' WHERE name LIKE 'crossyear%'")
    assert_queries_as_before(db, {"since": "", "region_code": "110101", "agency_id": gov})


def test_sort_keys_follow_the_report_and_agency(scenario):
    """checks.report_year and .agency (the order of crossyear_failures), written with each
    cross-year check, follow a report's year or agency and an agency's name changed in place."""
    db = scenario["db"]
    rid = db.execute("SELECT report_id FROM checks WHERE name LIKE 'crossyear%' LIMIT 1").fetchone()[0]
    with db.atomic():
        db.execute("UPDATE agencies SET name = name || '（改）' WHERE id = (SELECT agency_id FROM reports WHERE id = ?)",
                   (rid,))
        db.execute("UPDATE reports SET report_year = report_year - 1 WHERE id = ?", (rid,))
    bad = db.execute("SELECT count(*) FROM checks k JOIN reports r ON r.id = k.report_id "
                     "LEFT JOIN agencies a ON a.id = r.agency_id WHERE k.name >= 'crossyear' AND k.name < 'crossyeas' "
                     "AND (k.report_year IS NOT r.report_year OR k.agency IS NOT a.name)").fetchone()[0]
    assert bad == 0
    # every check carries its report's year (tests/test_archive_migration.py: the store's own)
    assert db.execute("SELECT count(*) FROM checks k JOIN reports r ON r.id = k.report_id "
                      "WHERE k.report_year IS NOT r.report_year").fetchone()[0] == 0
    # the coverage rows follow at the next refresh (the edits marked the publisher)
    assert coverage.refresh(db, agency_ids=[])["coverage_publishers"] >= 1
    assert_queries_as_before(db, {"since": "", "region_code": "654224", "agency_id": 1})


def test_register_refresh_without_agencies_rebuilds(scenario):
    db = scenario["db"]
    assert refresh(scenario["archive"])["coverage"] == "rebuilt"
    assert_as_before(db)
