"""The quality gate and promotion end to end on small workbooks, with expected values written out here.

The focused test of ``fingertip.quality.validate`` and ``fingertip.quality.promote`` (issue 17, the
``make mutation`` targets). Fast by design, every mutant runs it:

* a SQLite store made from the schema metadata (``tests/store/test_migrations.py`` proves the
  metadata equals the migrations);
* small XLSX workbooks through the real importer (the staged rows, raw cells and fingerprints are the
  importer's, not the code under test's);
* the real GX runner with the small suites below (the shipped suites cost seconds per batch; they run
  end to end in ``test_validate.py``): one expectation of each kind the gate treats differently —
  critical without rows (a missing column), critical with rows (Excel-mangled codes), errors with the
  checker's specific reason, with the suite's template reason, on a key column (whole row), a
  warning, the run's reference data (stored sponsors, owners of stored keys, Apple ids). Accounts and
  work groups get only their owner check (the sponsor checks are the apps' suite's).

Every expected row, history entry and reason is written from the workbook cells and the contracts in
the modules' docstrings, never read back through the code under test.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import time

import openpyxl
import pytest
import sqlalchemy as sa

from fingertip.inventory.importer import import_file
from fingertip.quality import suites
from fingertip.quality.validate import QualityGateRejected, Verdict, pending_batches, validate_batch
from fingertip.store import schema
from fingertip.store.engine import create_store_engine

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 8, 30, 0)
LATER = dt.datetime(2026, 11, 24, 9, 0, 0)

# real-format credit codes (checked characters computed by hand-checked identifiers.make_credit_code once)
YJ = "11441700007280420Y"     # 机关, 阳江市 441700 (prefecture)
GZ = "12440100401359081P"     # 事业单位, 广州市 440100 (prefecture)
BJ = "13110000MA01XY211Y"     # 群团组织, 北京市 110000 (province)
ENT = "91441702MA4UKX4P01"    # an enterprise code (not a government prefix), 江城区 441702 (county)
JC = "11441702000000019H"     # 机关, 江城区 441702 (county)

SPONSOR = """
name: inventory_sponsor
version: 7
expectations:
  - type: expect_column_to_exist
    kwargs: {column: division_code}
    meta: {critical: true, reason_zh: 缺少“行政区划代码”列。, reason_en: The division code column is missing.}
  - type: expect_column_values_to_not_be_excel_mangled_numbers
    kwargs: {column: sponsor_credit_code}
    meta: {critical: true, reason_zh: "“{column}”被 Excel 改成了科学计数法：{value}。",
           reason_en: "{column} was turned into a number by Excel: {value}."}
  - type: expect_column_values_to_be_valid_uscc
    kwargs: {column: sponsor_credit_code}
    meta: {critical: false, reason_zh: 信用代码无效。, reason_en: Invalid credit code.}
  - type: expect_column_values_to_be_government_uscc
    kwargs: {column: sponsor_credit_code}
    meta: {critical: false, severity: warning, reason_zh: 非机关代码。, reason_en: Not a government code.}
  - type: expect_column_values_to_be_in_reference_set
    kwargs: {column: sponsor_credit_code, reference: sponsors}
    meta: {critical: false, reason_zh: "“{column}”{value} 未登记主办单位名称。", reason_en: "{column} {value}: sponsor unknown."}
  - type: expect_column_values_to_be_known_division_code
    kwargs: {column: division_code}
    meta: {critical: false, reason_zh: "“{column}”填写的“{value}”不是有效的行政区划代码。",
           reason_en: "{column} {value} is not a division code."}
  - type: expect_column_values_to_have_no_forbidden_characters
    kwargs: {column: sponsor_name}
    meta: {critical: false, reason_zh: 含有不可见字符。, reason_en: Invisible characters.}
"""

APP = """
name: inventory_app
version: 3
include: [inventory_sponsor]
expectations:
  - type: expect_column_values_to_be_dates_not_in_future
    kwargs: {column: launched_on}
    meta: {critical: false, reason_zh: "“{column}”{value} 晚于今天。", reason_en: "{column} {value} is after {today}."}
  - type: expect_column_values_to_be_first_occurrence
    kwargs: {column: _natural_key}
    meta: {critical: false, reason_zh: 与前面的行重复。, reason_en: Repeats an earlier row.}
  - type: expect_column_pair_values_to_match_reference
    kwargs: {column_A: apple_track_id, column_B: _natural_key, reference: apple_track_owners}
    meta: {critical: false, reason_zh: 苹果ID已属于另一应用。, reason_en: The Apple id belongs to another app.}
  - type: expect_column_pair_values_to_match_reference
    kwargs: {column_A: _natural_key, column_B: sponsor_credit_code, reference: app_owners}
    meta: {critical: false, reason_zh: 应用已登记在另一主办单位下。, reason_en: The app belongs to another sponsor.}
"""

ACCOUNT = """
name: inventory_account
version: 4
expectations:
  - type: expect_column_pair_values_to_match_reference
    kwargs: {column_A: _natural_key, column_B: sponsor_credit_code, reference: account_owners}
    meta: {critical: false, reason_zh: 账号已登记在另一主办单位下。, reason_en: The account belongs to another sponsor.}
"""

GROUP = """
name: inventory_work_group
version: 5
expectations:
  - type: expect_column_pair_values_to_match_reference
    kwargs: {column_A: _natural_key, column_B: sponsor_credit_code, reference: work_group_owners}
    meta: {critical: false, reason_zh: 工作群已登记在另一主办单位下。, reason_en: The group belongs to another sponsor.}
"""

K_USCC = "expect_column_values_to_be_valid_uscc(sponsor_credit_code)"
K_GOV = "expect_column_values_to_be_government_uscc(sponsor_credit_code)"
K_REF = "expect_column_values_to_be_in_reference_set(sponsor_credit_code)"
K_DIV = "expect_column_values_to_be_known_division_code(division_code)"
K_EXISTS = "expect_column_to_exist(division_code)"
K_EXCEL = "expect_column_values_to_not_be_excel_mangled_numbers(sponsor_credit_code)"
K_FORBIDDEN = "expect_column_values_to_have_no_forbidden_characters(sponsor_name)"
K_FUTURE = "expect_column_values_to_be_dates_not_in_future(launched_on)"
K_DUP = "expect_column_values_to_be_first_occurrence(_natural_key)"
K_TRACK = "expect_column_pair_values_to_match_reference(apple_track_id,_natural_key)"
K_OWNER = "expect_column_pair_values_to_match_reference(_natural_key,sponsor_credit_code)"

APP_HEADER = ["应用编码", "应用名称", "应用类型", "主办单位", "统一社会信用代码", "行政区划代码", "单位层级", "单位性质",
              "联系人", "联系电话", "电子邮箱", "宿主平台", "安卓包名", "Bundle ID", "苹果ID", "小程序AppID", "简介",
              "投诉渠道", "用户数", "上线时间", "功能", "功能审批情况", "月活跃用户数", "政务应用程序备案号", "等保级别"]
ACCOUNT_HEADER = ["账号名称", "平台", "账号ID", "主办单位", "统一社会信用代码", "行政区划代码", "互动渠道", "投诉渠道",
                  "认证主体", "开通时间"]
GROUP_HEADER = ["群名称", "平台", "群号", "主办单位", "统一社会信用代码", "行政区划代码", "用途", "是否临时",
                "任务结束时间", "群成员数", "建群时间", "解散时间", "群主"]


def app(key="APP-YJ-1", name="阳江政务通", kind="原生应用", sponsor="阳江市人民政府办公室", code=YJ, division="441700",
        **cells):
    row = dict(zip(APP_HEADER, [key, name, kind, sponsor, code, division] + [None] * 19, strict=True))
    row.update(cells)
    return row


def small_app(i: int, code=YJ, **cells):
    return app(key=f"APP-{i:03d}", name=f"应用{i}", **cells) | ({"统一社会信用代码": code} if code != YJ else {})


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def suite_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("suites")
    for name, text in (("inventory_sponsor", SPONSOR), ("inventory_app", APP), ("inventory_account", ACCOUNT),
                       ("inventory_work_group", GROUP)):
        (d / f"{name}.yaml").write_text(text, encoding="utf-8")
    return d


@pytest.fixture(autouse=True)
def small_suites(suite_dir, monkeypatch):
    monkeypatch.setattr(suites, "suites_dir", lambda: suite_dir)
    suites.load_suite_spec.cache_clear()
    yield
    suites.load_suite_spec.cache_clear()


@pytest.fixture
def engine(tmp_path):
    e = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    schema.metadata.create_all(e)
    yield e
    e.dispose()


def stage(engine, tmp_path, name: str, sheets: dict[str, tuple[list[str], list[dict]]]) -> int:
    """Import a workbook of ``sheets`` (title → (header, rows as header → cell)); the batch id."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, (header, rows) in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(header)
        for r in rows:
            ws.append([r.get(h) for h in header])
    buf = io.BytesIO()
    wb.save(buf)
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    (inbox / name).write_bytes(buf.getvalue())
    result = import_file(engine, inbox / name, move=False)
    assert result.status == "staged", result.message
    return result.batch_id


def rows(engine, table, *cols, order=None):
    t = schema.metadata.tables[table]
    with engine.connect() as c:
        q = sa.select(*(t.c[x] for x in cols)).order_by(order if order is not None else t.c.id)
        return [tuple(r) for r in c.execute(q)]


def history(engine, batch_id):
    h = schema.inventory_history
    with engine.connect() as c:
        return {(r.table_name, r.record_key): r.changes for r in c.execute(
            sa.select(h).where(h.c.batch_id == batch_id).order_by(h.c.id))}


def quarantine(engine, batch_id):
    q = schema.quarantined_rows
    with engine.connect() as c:
        return [dict(r) for r in c.execute(sa.select(q.c.sheet, q.c.row_number, q.c.column_name, q.c.expectation,
                                                     q.c.raw_value, q.c.reason_zh, q.c.reason_en, q.c.raw_row)
                                           .where(q.c.batch_id == batch_id).order_by(q.c.id)).mappings()]


def batch_row(engine, batch_id):
    b = schema.import_batches
    with engine.connect() as c:
        return dict(c.execute(sa.select(b).where(b.c.id == batch_id)).mappings().one())


def batch_fields(engine, batch_id):
    r = batch_row(engine, batch_id)
    return r["status"], r["row_count"], r["good_rows"], r["bad_rows"], r["updated_at"]


def fingerprints(engine, batch_id):
    t = schema.inventory_staging
    with engine.connect() as c:
        return {(r.sheet, r.row_number): r.request_fingerprint for r in c.execute(
            sa.select(t.c.sheet, t.c.row_number, t.c.request_fingerprint).where(t.c.batch_id == batch_id))}


def sponsor_ids(engine):
    return {code: i for i, code in rows(engine, "sponsors", "id", "credit_code")}


def _values(doc, key) -> set:
    """Every value under ``key`` anywhere in a JSON document."""
    if isinstance(doc, dict):
        return {v for k, x in doc.items() for v in ({x} if k == key and not isinstance(x, (dict, list)) else set())
                | _values(x, key)}
    if isinstance(doc, list):
        return {v for x in doc for v in _values(x, key)}
    return set()


def count(engine, table):
    with engine.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(schema.metadata.tables[table])).scalar_one()


def run(engine, batch_id, **kw):
    kw.setdefault("write_report", False)
    started = time.perf_counter()
    verdict = validate_batch(engine, batch_id, today=TODAY, now=NOW, **kw)
    elapsed = time.perf_counter() - started
    # the seconds of each phase (rounded to ms) lie inside the call that measured them
    assert all(0 <= s <= elapsed + 0.001 for s in verdict.seconds.values()), (verdict.seconds, elapsed)
    return verdict


# -- promotion: every column as submitted, history, provenance ----------------------------------------

FULL_APP = app(**{"单位层级": "市级", "单位性质": "机关", "联系人": "王敏", "联系电话": "0662-3366001",
                  "电子邮箱": "wm@yj.gov.cn", "安卓包名": "cn.gov.yj.zwt", "Bundle ID": "cn.gov.yj.zwt.ios",
                  "苹果ID": "1234567890", "简介": "  掌上办事  ", "投诉渠道": "有", "用户数": "1.2万",
                  "上线时间": "2023/3/5", "功能": "在线办事、打卡签到", "功能审批情况": "打卡签到：已审批，仅供内部掌握",
                  "月活跃用户数": "3,500", "政务应用程序备案号": " 粤政备2025001号 ", "等保级别": "第三级"})
MINI = app(key="MP-GZ-7", name="穗好办", kind="微信小程序", sponsor="广州市政务服务数据管理局", code=GZ, division="440100",
           **{"宿主平台": "微信", "小程序AppID": "wx0123456789abcdef", "投诉渠道": "无", "上线时间": "2021年7月1日"})
ACCOUNTS = [
    {"账号名称": "广州政务服务", "平台": "微信公众号", "账号ID": "gh_gz0001", "主办单位": "广州市政务服务数据管理局",
     "统一社会信用代码": GZ, "行政区划代码": "440100", "互动渠道": "有", "投诉渠道": "无", "认证主体": "广州市政务服务数据管理局",
     "开通时间": "2019-05-01"},
    {"账号名称": "北京共青团", "平台": "新浪微博", "账号ID": "2001", "主办单位": "共青团北京市委员会",
     "统一社会信用代码": BJ, "行政区划代码": "110000", "开通时间": "2015-01-20"},
]
GROUPS = [
    {"群名称": "江城区迎检工作群", "平台": "微信", "群号": "wxg-88", "主办单位": "阳江市江城区人民政府办公室",
     "统一社会信用代码": JC, "行政区划代码": "441702", "用途": "迎检材料报送", "是否临时": "是", "任务结束时间": "2026-12-31",
     "群成员数": "56", "建群时间": "2026-10-08", "群主": "李强"},
]


def _acc_key(natural_key: str) -> str:  # normalise.account_key's documented contract: "acc-" + sha1[:32]
    return "acc-" + hashlib.sha1(natural_key.encode()).hexdigest()[:32]


def _grp_key(platform: str, gid: str) -> str:  # a group with its own id: "grp-" + sha1(platform|id|gid)[:32]
    return "grp-" + hashlib.sha1(f"{platform}|id|{gid}".encode()).hexdigest()[:32]


def test_promotion_copies_every_column_of_every_entity(engine, tmp_path):
    b = stage(engine, tmp_path, "台账.xlsx", {"应用": (APP_HEADER, [FULL_APP, MINI]), "账号": (ACCOUNT_HEADER, ACCOUNTS),
                                             "群组": (GROUP_HEADER, GROUPS)})
    v = run(engine, b)
    assert (v.status, v.row_count, v.good_rows, v.bad_rows, v.bad_share, v.quarantined) == ("promoted", 5, 5, 0, 0.0, 0)
    assert v.promoted == {"sponsors": 4, "apps": 2, "accounts": 2, "work_groups": 1}
    assert v.history_rows == 4 + 2 + 2 + 1
    assert v.critical_failures == [] and v.failures_by_expectation == {} and v.warnings == {}
    assert v.suites == {"app": "inventory_app.v3", "account": "inventory_account.v4",
                        "work_group": "inventory_work_group.v5"}
    prov = ("import:台账.xlsx", NOW, NOW, NOW)
    # sponsors: level and nature as written, else derived (division shape; credit-code prefix)
    assert rows(engine, "sponsors", "credit_code", "name", "division_code", "level", "nature", "contact_name",
                "contact_phone", "contact_email", "source", "fetched_at", "created_at", "updated_at",
                order=schema.sponsors.c.credit_code) == [
        (YJ, "阳江市人民政府办公室", "441700", "prefectural", "机关", "王敏", "0662-3366001", "wm@yj.gov.cn", *prov),
        (JC, "阳江市江城区人民政府办公室", "441702", "county", "机关", None, None, None, *prov),
        (GZ, "广州市政务服务数据管理局", "440100", "prefectural", "事业单位", None, None, None, *prov),
        (BJ, "共青团北京市委员会", "110000", "provincial", "群团组织", None, None, None, *prov),
    ]
    sid = sponsor_ids(engine)
    fp = fingerprints(engine, b)
    assert rows(engine, "sponsors", "credit_code", "request_fingerprint", order=schema.sponsors.c.credit_code) == [
        (YJ, fp[("应用", 2)]), (JC, fp[("群组", 2)]), (GZ, fp[("账号", 2)]), (BJ, fp[("账号", 3)])]
    app_cols = ("app_key", "name", "kind", "sponsor_id", "division_code", "host_platform", "package_name", "bundle_id",
                "apple_track_id", "mini_program_id", "description", "has_complaint_channel", "user_scale",
                "launched_on", "declared_features", "approved_features", "monthly_active_users", "gov_filing_number",
                "security_level", "status", "import_batch_id", "source", "fetched_at", "request_fingerprint",
                "created_at", "updated_at")
    # the importer folds the cell to NFKC (full-width ：， → :,); the scope is what the text says
    approval = [{"feature": "check_in", "scope": "internal", "text": "打卡签到:已审批,仅供内部掌握"}]
    assert rows(engine, "apps", *app_cols, order=schema.apps.c.app_key) == [
        ("APP-YJ-1", "阳江政务通", "app", sid[YJ], "441700", None, "cn.gov.yj.zwt", "cn.gov.yj.zwt.ios", 1234567890,
         None, "掌上办事", True, 12000, dt.date(2023, 3, 5), ["service_hall", "check_in"], approval, 3500,
         "粤政备2025001号", 3, "active", b, "import:台账.xlsx", NOW, fp[("应用", 2)], NOW, NOW),
        ("MP-GZ-7", "穗好办", "mini_program", sid[GZ], "440100", "wechat", None, None, None, "wx0123456789abcdef",
         None, False, None, dt.date(2021, 7, 1), None, None, None, None, None, "active", b, "import:台账.xlsx", NOW,
         fp[("应用", 3)], NOW, NOW),
    ]
    assert rows(engine, "accounts", "account_key", "platform", "platform_account_id", "name", "sponsor_id",
                "division_code", "has_interaction_channel", "has_complaint_channel", "verified_entity", "opened_on",
                "import_batch_id", "source", "request_fingerprint", order=schema.accounts.c.platform) == [
        (_acc_key("wechat|gh_gz0001"), "wechat", "gh_gz0001", "广州政务服务", sid[GZ], "440100", True, False,
         "广州市政务服务数据管理局", dt.date(2019, 5, 1), b, "import:台账.xlsx", fp[("账号", 2)]),
        (_acc_key("weibo|2001"), "weibo", "2001", "北京共青团", sid[BJ], "110000", None, None, None,
         dt.date(2015, 1, 20), b, "import:台账.xlsx", fp[("账号", 3)]),
    ]
    assert rows(engine, "work_groups", "group_key", "platform", "name", "sponsor_id", "division_code", "purpose",
                "is_temporary", "task_ends_on", "member_count", "opened_on", "closed_on", "owner_name",
                "import_batch_id", "request_fingerprint") == [
        (_grp_key("wechat", "wxg-88"), "wechat", "江城区迎检工作群", sid[JC], "441702", "迎检材料报送", True,
         dt.date(2026, 12, 31), 56, dt.date(2026, 10, 8), None, "李强", b, fp[("群组", 2)]),
    ]
    # one history row per created record: every non-empty compared field as [null, new]
    h = history(engine, b)
    assert h[("sponsors", YJ)] == {"name": [None, "阳江市人民政府办公室"], "division_code": [None, "441700"],
                                   "level": [None, "prefectural"], "nature": [None, "机关"],
                                   "contact_name": [None, "王敏"], "contact_phone": [None, "0662-3366001"],
                                   "contact_email": [None, "wm@yj.gov.cn"]}
    assert h[("sponsors", BJ)] == {"name": [None, "共青团北京市委员会"], "division_code": [None, "110000"],
                                   "level": [None, "provincial"], "nature": [None, "群团组织"]}
    assert h[("apps", "MP-GZ-7")] == {"name": [None, "穗好办"], "sponsor_id": [None, sid[GZ]],
                                      "division_code": [None, "440100"], "kind": [None, "mini_program"],
                                      "host_platform": [None, "wechat"], "mini_program_id": [None, "wx0123456789abcdef"],
                                      "has_complaint_channel": [None, False], "launched_on": [None, "2021-07-01"]}
    assert h[("apps", "APP-YJ-1")] == {
        "name": [None, "阳江政务通"], "sponsor_id": [None, sid[YJ]], "division_code": [None, "441700"],
        "kind": [None, "app"], "package_name": [None, "cn.gov.yj.zwt"], "bundle_id": [None, "cn.gov.yj.zwt.ios"],
        "apple_track_id": [None, 1234567890], "description": [None, "掌上办事"], "has_complaint_channel": [None, True],
        "user_scale": [None, 12000], "launched_on": [None, "2023-03-05"],
        "declared_features": [None, ["service_hall", "check_in"]], "approved_features": [None, approval],
        "monthly_active_users": [None, 3500], "gov_filing_number": [None, "粤政备2025001号"], "security_level": [None, 3]}
    assert h[("accounts", "weibo|2001")] == {"name": [None, "北京共青团"], "sponsor_id": [None, sid[BJ]],
                                            "division_code": [None, "110000"], "opened_on": [None, "2015-01-20"]}
    assert h[("work_groups", _grp_key("wechat", "wxg-88"))]["is_temporary"] == [None, True]
    assert set(h) == {("sponsors", YJ), ("sponsors", GZ), ("sponsors", BJ), ("sponsors", JC), ("apps", "APP-YJ-1"),
                      ("apps", "MP-GZ-7"), ("accounts", "wechat|gh_gz0001"), ("accounts", "weibo|2001"),
                      ("work_groups", _grp_key("wechat", "wxg-88"))}
    with engine.connect() as c:
        assert set(c.execute(sa.select(schema.inventory_history.c.changed_at)).scalars()) == {NOW}
    assert batch_fields(engine, b) == ("promoted", 5, 5, 0, NOW)

    # a re-run changes nothing: no duplicate record, no history, same quarantine (none)
    v2 = run(engine, b)
    assert (v2.status, v2.promoted, v2.history_rows) == ("promoted", {"sponsors": 0, "apps": 0, "accounts": 0,
                                                                       "work_groups": 0}, 0)
    assert [count(engine, t) for t in ("sponsors", "apps", "accounts", "work_groups", "inventory_history")] == [
        4, 2, 2, 1, 9]

    # the group again without its 群号: found by its sponsor, platform, name and opening date, updated in place
    again = {**GROUPS[0], "群号": None, "群成员数": "60"}
    b2 = stage(engine, tmp_path, "群组.xlsx", {"群组": (GROUP_HEADER, [again])})
    v3 = run(engine, b2)
    assert (v3.promoted, v3.history_rows) == ({"sponsors": 0, "work_groups": 1}, 1)
    assert history(engine, b2) == {("work_groups", _grp_key("wechat", "wxg-88")): {"member_count": [56, 60]}}
    assert rows(engine, "work_groups", "group_key", "member_count", "import_batch_id") == [
        (_grp_key("wechat", "wxg-88"), 60, b2)]


def test_a_later_batch_updates_changed_columns_only_with_old_and_new_in_history(engine, tmp_path):
    b1 = stage(engine, tmp_path, "一.xlsx", {"应用": (APP_HEADER, [FULL_APP, MINI])})
    assert run(engine, b1).status == "promoted"
    sid = sponsor_ids(engine)
    # no 应用编码 this time: each app is found by what identifies it (its Android package; its sponsor,
    # kind and name) and updated in place; empty cells keep what the inventory knows; the sponsor is
    # renamed, its level left empty (the stored level stays, no derived default replaces it)
    changed = app(key=None, **{"安卓包名": "cn.gov.yj.zwt", "简介": "掌上办事2.0",
                               "投诉渠道": "无", "用户数": "15000", "上线时间": "2023-03-05",
                               "主办单位": "阳江市政务服务和数据管理局"})
    mini = app(key=None, name="穗好办", kind="微信小程序", sponsor="广州市政务服务数据管理局", code=GZ, division="440100",
               **{"小程序AppID": "wx0123456789abcdef", "宿主平台": "支付宝"})
    b2 = stage(engine, tmp_path, "二.xlsx", {"应用": (APP_HEADER, [changed, mini])})
    v = validate_batch(engine, b2, today=TODAY, now=LATER, write_report=False)
    assert (v.status, v.promoted, v.history_rows) == ("promoted", {"sponsors": 1, "apps": 2}, 3)
    assert count(engine, "apps") == 2 and count(engine, "sponsors") == 2
    assert history(engine, b2) == {
        ("sponsors", YJ): {"name": ["阳江市人民政府办公室", "阳江市政务服务和数据管理局"]},
        ("apps", "APP-YJ-1"): {"description": ["掌上办事", "掌上办事2.0"], "has_complaint_channel": [True, False],
                               "user_scale": [12000, 15000]},
        ("apps", "MP-GZ-7"): {"host_platform": ["wechat", "alipay"]},
    }
    assert rows(engine, "sponsors", "credit_code", "name", "level", "nature", "contact_name", "source",
                "created_at", "updated_at", order=schema.sponsors.c.credit_code) == [
        (YJ, "阳江市政务服务和数据管理局", "prefectural", "机关", "王敏", "import:二.xlsx", NOW, LATER),
        (GZ, "广州市政务服务数据管理局", "prefectural", "事业单位", None, "import:一.xlsx", NOW, NOW),
    ]
    assert rows(engine, "apps", "app_key", "sponsor_id", "description", "has_complaint_channel", "user_scale",
                "package_name", "security_level", "gov_filing_number", "import_batch_id", "source", "created_at",
                "updated_at", order=schema.apps.c.app_key) == [
        ("APP-YJ-1", sid[YJ], "掌上办事2.0", False, 15000, "cn.gov.yj.zwt", 3, "粤政备2025001号", b2, "import:二.xlsx",
         NOW, LATER),
        ("MP-GZ-7", sid[GZ], None, False, None, None, None, None, b2, "import:二.xlsx", NOW, LATER),
    ]
    # re-validating the first batch puts its values back, but its history is not written twice
    v1 = run(engine, b1)
    assert (v1.promoted, v1.history_rows) == ({"sponsors": 1, "apps": 2}, 0)
    assert rows(engine, "apps", "app_key", "description", "user_scale", "host_platform", "import_batch_id",
                order=schema.apps.c.app_key) == [("APP-YJ-1", "掌上办事", 12000, None, b1), ("MP-GZ-7", None, None, "wechat", b1)]
    assert len(history(engine, b1)) == 4 and count(engine, "inventory_history") == 4 + 3


def test_an_app_is_found_by_its_android_package_or_by_its_sponsor_kind_and_name(engine, tmp_path):
    b1 = stage(engine, tmp_path, "一.xlsx", {"应用": (APP_HEADER, [
        app(key="K-1", name="甲", **{"安卓包名": "cn.gov.a", "上线时间": "2020-01-01"}),
        app(key="K-2", name="乙", kind="快应用", **{"上线时间": "2021-01-01"}),
        app(key="K-3", name="丙", **{"上线时间": "2022-01-01"}), app(key="K-4", name="丙", **{"上线时间": "2022-06-01"})])})
    assert run(engine, b1).promoted == {"sponsors": 1, "apps": 4}
    b2 = stage(engine, tmp_path, "二.xlsx", {"应用": (APP_HEADER, [
        # by package, whoever submits it: renamed in place and moved to its new sponsor
        app(key=None, name="甲（新版）", sponsor="广州市政务服务数据管理局", code=GZ, division="440100",
            **{"安卓包名": "cn.gov.a"}),
        app(key=None, name="乙", kind="快应用", **{"用户数": "10"}),        # by sponsor, kind and name
        app(key=None, name="丙", **{"上线时间": "2022-06-01", "用户数": "20"})])})  # two 丙: the launch date decides
    v = validate_batch(engine, b2, today=TODAY, now=LATER, write_report=False)
    assert v.status == "promoted" and v.promoted == {"sponsors": 1, "apps": 3}
    sid = sponsor_ids(engine)
    assert rows(engine, "apps", "app_key", "name", "user_scale", "sponsor_id", order=schema.apps.c.id) == [
        ("K-1", "甲（新版）", None, sid[GZ]), ("K-2", "乙", 10, sid[YJ]), ("K-3", "丙", None, sid[YJ]),
        ("K-4", "丙", 20, sid[YJ])]
    assert history(engine, b2)[("apps", "K-1")] == {"name": ["甲", "甲（新版）"], "sponsor_id": [sid[YJ], sid[GZ]],
                                                    "division_code": ["441700", "440100"]}
    # two stored 丙 and no launch date: ambiguous, nothing is overwritten, the row is a new app
    b3 = stage(engine, tmp_path, "三.xlsx", {"应用": (APP_HEADER, [app(key=None, name="丙", **{"用户数": "30"})])})
    assert run(engine, b3).promoted == {"sponsors": 0, "apps": 1}
    got = rows(engine, "apps", "app_key", "name", "user_scale", order=schema.apps.c.id)
    assert got[:4] == [("K-1", "甲（新版）", None), ("K-2", "乙", 10), ("K-3", "丙", None), ("K-4", "丙", 20)]
    assert len(got) == 5 and got[4][1:] == ("丙", 30) and got[4][0] not in ("K-3", "K-4")


def test_rows_of_stored_sponsors_and_stored_keys_are_checked_against_the_store(engine, tmp_path):
    b1 = stage(engine, tmp_path, "一.xlsx", {
        "应用": (APP_HEADER, [app(key="K-1", **{"苹果ID": "1001"})]),
        "账号": (ACCOUNT_HEADER, [{"账号名称": "北京共青团", "平台": "新浪微博", "账号ID": "2001", "主办单位": "共青团北京市委员会",
                                "统一社会信用代码": BJ, "行政区划代码": "110000"}]),
        "群组": (GROUP_HEADER, [{"群名称": "江城区迎检工作群", "平台": "微信", "群号": "wxg-88", "主办单位": "江城区政府办",
                               "统一社会信用代码": JC, "行政区划代码": "441702"}])})
    assert run(engine, b1).status == "promoted"
    other = {"主办单位": "广州市政务服务数据管理局", "统一社会信用代码": GZ, "行政区划代码": "440100"}
    b2 = stage(engine, tmp_path, "二.xlsx", {
        "应用": (APP_HEADER, [
            app(key="K-1", **other),                                   # a stored app claimed by another sponsor
            app(key="K-9", name="另一应用", **{"苹果ID": "1001"}),       # a stored Apple id under another key
            app(key="K-10", name="只填代码", sponsor=None),              # a stored sponsor named by its code only
            app(key="K-11", name="无名单位", sponsor=None, code=ENT, division="441702"),  # unknown and unnamed
            app(key="K-12", name="新应用", **{"苹果ID": "1002"})]),
        "账号": (ACCOUNT_HEADER, [{"账号名称": "北京共青团", "平台": "新浪微博", "账号ID": "2001", "主办单位": "广州局",
                                "统一社会信用代码": GZ, "行政区划代码": "440100"}]),
        "群组": (GROUP_HEADER, [{"群名称": "江城区迎检工作群", "平台": "微信", "群号": "wxg-88", "主办单位": "广州局",
                               "统一社会信用代码": GZ, "行政区划代码": "440100"}])})
    v = run(engine, b2, max_bad_share=1.0)
    assert (v.status, v.row_count, v.bad_rows, v.good_rows) == ("promoted", 7, 5, 2)
    assert v.failures_by_expectation == {"app:" + K_OWNER: 1, "app:" + K_TRACK: 1, "app:" + K_REF: 1,
                                         "account:" + K_OWNER: 1, "work_group:" + K_OWNER: 1}
    assert v.warnings == {K_GOV: 1}  # the enterprise code: a warning only
    assert [(q["sheet"], q["row_number"], q["expectation"]) for q in quarantine(engine, b2)] == [
        ("账号", 2, "inventory_account:" + K_OWNER),   # entity types in order, expectations in suite order
        ("应用", 5, "inventory_sponsor:" + K_REF),
        ("应用", 3, "inventory_app:" + K_TRACK),
        ("应用", 2, "inventory_app:" + K_OWNER),
        ("群组", 2, "inventory_work_group:" + K_OWNER),
    ]
    # stored sponsor unchanged (its name kept where the row leaves it empty); no good account or group row
    assert v.promoted == {"sponsors": 0, "apps": 2, "accounts": 0, "work_groups": 0}
    assert rows(engine, "apps", "app_key", "name", "apple_track_id", order=schema.apps.c.id) == [
        ("K-1", "阳江政务通", 1001), ("K-10", "只填代码", None), ("K-12", "新应用", 1002)]
    assert dict(rows(engine, "sponsors", "credit_code", "name"))[YJ] == "阳江市人民政府办公室"


# -- the gate: exactly at max_bad_share and just above -------------------------------------------------

def _apps_with_bad_divisions(n: int, bad: set[int]) -> list[dict]:
    return [app(key=f"G-{i}", name=f"应用{i}", division="999999" if i in bad else "441700") for i in range(1, n + 1)]


def test_gate_rejects_just_above_max_bad_share_and_passes_exactly_at_it(engine, tmp_path):
    b = stage(engine, tmp_path, "闸门.xlsx", {"应用": (APP_HEADER, _apps_with_bad_divisions(4, {3}))})
    v = run(engine, b, max_bad_share=0.24)  # 1 of 4 bad = 25 % > 24 %
    assert (v.status, v.rejected, v.row_count, v.good_rows, v.bad_rows, v.bad_share) == ("rejected", True, 4, 3, 1, 0.25)
    assert (v.promoted, v.history_rows, v.critical_failures, v.quarantined) == ({}, 0, [], 1)
    assert v.failures_by_expectation == {"app:" + K_DIV: 1}
    zh = (f"批次 {b}（闸门.xlsx）未通过质量闸门，整批退回，未入库。\n问题行占比 25.0%（1/4 行），超过允许的 24.0%。\n"
          "请按退回报告逐行修改后重新报送。")
    en = (f"Batch {b} (闸门.xlsx) failed the quality gate and was rejected; nothing was promoted.\n"
          "25.0% of rows failed (1 of 4), more than the 24.0% allowed.\n"
          "Correct the rows listed in the rejection report and resubmit the file.")
    assert (v.message_zh, v.message_en, v.message) == (zh, en, f"{zh}\n{en}")
    assert batch_fields(engine, b) == ("rejected", 4, 3, 1, NOW) and batch_row(engine, b)["message"] == f"{zh}\n{en}"
    assert [count(engine, t) for t in ("sponsors", "apps", "inventory_history", "quarantined_rows")] == [0, 0, 0, 1]
    with pytest.raises(QualityGateRejected):
        raise QualityGateRejected(v.message)

    v = run(engine, b, max_bad_share=0.25)  # the same batch again, the limit exactly at its share: passes
    assert (v.status, v.rejected, v.good_rows, v.bad_rows, v.promoted) == ("promoted", False, 3, 1,
                                                                          {"sponsors": 1, "apps": 3})
    assert v.message_zh == f"批次 {b}（闸门.xlsx）通过质量闸门：3 行入库，1 行问题数据已隔离（占 25.0%，上限 25.0%）。"
    assert v.message_en == f"Batch {b} (闸门.xlsx) passed the quality gate: 3 rows promoted, 1 quarantined (25.0%, limit 25.0%)."
    assert batch_fields(engine, b) == ("promoted", 4, 3, 1, NOW)
    assert rows(engine, "apps", "app_key") == [("G-1",), ("G-2",), ("G-4",)]
    assert count(engine, "quarantined_rows") == 1  # replaced, not duplicated
    assert Verdict(**{**v.to_dict()}).to_dict() == v.to_dict() and v.to_dict()["max_bad_share"] == 0.25


@pytest.mark.parametrize(("n", "bad", "limit", "status"), [
    (5, {2}, 0.2, "promoted"),     # 1/5 = 20 % exactly at the limit
    (5, {2, 4}, 0.39, "rejected"),  # 40 % just above
    (3, set(), 0.0, "promoted"),   # a zero limit passes a clean batch
    (3, {1}, 0.0, "rejected"),     # ... and no bad row at all
])
def test_gate_table(engine, tmp_path, n, bad, limit, status):
    b = stage(engine, tmp_path, "表.xlsx", {"应用": (APP_HEADER, _apps_with_bad_divisions(n, bad))})
    v = run(engine, b, max_bad_share=limit)
    assert (v.status, v.bad_rows, v.good_rows, v.max_bad_share) == (status, len(bad), n - len(bad), limit)
    assert count(engine, "apps") == (n - len(bad) if status == "promoted" else 0)


@pytest.mark.parametrize("limit", [-0.01, 1.01])
def test_max_bad_share_outside_0_and_1_is_refused(engine, limit):
    with pytest.raises(ValueError, match="max_bad_share"):
        validate_batch(engine, 1, max_bad_share=limit)


# -- a batch with no staged rows; an unknown batch ------------------------------------------------------

def _batch(engine, status="staged", message=None, updated=NOW) -> int:
    with engine.begin() as c:
        n = c.execute(sa.select(sa.func.count()).select_from(schema.import_batches)).scalar_one()
        return c.execute(sa.insert(schema.import_batches).values(
            file_name="空表.xlsx", checksum=f"{n:064d}", received_at=NOW, status=status, message=message,
            created_at=NOW, updated_at=updated)).inserted_primary_key[0]


def test_a_batch_without_rows_is_rejected_and_an_unknown_batch_is_an_error(engine):
    b = _batch(engine)
    v = run(engine, b)
    reason = {"entity_type": None, "expectation": "staged_rows", "rows": 0,
              "reason_zh": "批次没有可校验的数据行。", "reason_en": "The batch has no staged rows."}
    assert (v.status, v.row_count, v.critical_failures, v.promoted) == ("rejected", 0, [reason], {})
    assert (v.good_rows, v.bad_rows, v.bad_share, v.quarantined, v.report_path) == (0, 0, 0.0, 0, None)
    zh = (f"批次 {b}（空表.xlsx）未通过质量闸门，整批退回，未入库。\n严重问题：批次没有可校验的数据行。（0 行）\n"
          "请按退回报告逐行修改后重新报送。")
    assert v.message_zh == zh and v.message_en.startswith(f"Batch {b} (空表.xlsx) failed")
    assert "Critical: The batch has no staged rows. (0 rows)" in v.message_en.splitlines()
    assert (batch_row(engine, b)["status"], batch_row(engine, b)["message"]) == ("rejected", v.message)
    # the importer already rejected it with its reason: kept as it is
    b2 = _batch(engine, status="rejected", message="无法读取文件。\nThe file cannot be read.", updated=LATER)
    v2 = run(engine, b2)
    assert (v2.status, v2.message_zh, v2.message_en) == ("rejected", "无法读取文件。\nThe file cannot be read.", "")
    assert (batch_row(engine, b2)["message"], batch_row(engine, b2)["updated_at"]) == (
        "无法读取文件。\nThe file cannot be read.", LATER)
    # rejected without a message: the verdict's message is written
    b3 = _batch(engine, status="rejected")
    assert batch_row(engine, b3)["message"] is None
    assert run(engine, b3).message == batch_row(engine, b3)["message"] != ""
    with pytest.raises(LookupError, match="999"):
        run(engine, 999)


def test_pending_batches_are_the_staged_ones_oldest_first_or_exactly_those_asked_for(engine):
    ids = [_batch(engine, status=s) for s in ("staged", "promoted", "staged", "rejected")]
    assert pending_batches(engine) == [{"batch_id": ids[0], "file_name": "空表.xlsx", "row_count": 0},
                                       {"batch_id": ids[2], "file_name": "空表.xlsx", "row_count": 0}]
    assert [p["batch_id"] for p in pending_batches(engine, [ids[3], ids[1], 999])] == [ids[1], ids[3]]


# -- quarantine: one row per (sheet, row, column, expectation), submitted value verbatim, specific reason --

SYN_HEADER = ["应用编码", "应用名称", "应用类型", "主办单位", "信用代码", "区划代码", "上线时间"]  # synonyms of the template's


def test_quarantine_rows_carry_the_submitted_header_value_and_reason(engine, tmp_path, caplog, _outputs):
    std = [app(key="Q-1", name="好应用", code=ENT, division="441702", **{"上线时间": "2026-11-23"}),  # warning only
           app(key="Q-2", name="坏代码", code="11441700007280420X"),                      # wrong check character
           app(key="Q-3", name="坏区划", division="999999"),
           app(key="Q-4", name="坏字符", sponsor="阳江市\u202e人民政府办公室"),
           app(key="Q-5", name="未来", **{"上线时间": "2026-11-24"}),
           app(key="Q-1", name="重复", code=ENT, division="441702")]                       # Q-1 again
    syn = [{"应用编码": "S-1", "应用名称": "小程序甲", "应用类型": "小程序", "主办单位": "阳江市人民政府办公室",
            "信用代码": " 11441700007280420x ", "区划代码": "999999", "上线时间": "2024-01-01"}]
    b = stage(engine, tmp_path, "隔离.xlsx", {"应用": (APP_HEADER, std), "小程序": (SYN_HEADER, syn)})
    caplog.set_level("WARNING", logger="fingertip.quality.validate")
    v = validate_batch(engine, b, today=TODAY, now=NOW, max_bad_share=1.0)  # the report is written by default
    assert (v.status, v.row_count, v.bad_rows, v.good_rows, v.quarantined) == ("promoted", 7, 6, 1, 7)
    assert [r.getMessage() for r in caplog.records if r.name == "fingertip.quality.validate"
            and r.levelname == "WARNING"] == [f"batch {b}: warning {K_GOV} on 2 rows (rows kept)"]
    assert set(v.seconds) == {"load", "validate", "store", "report"}
    # the GX result of the run, named after the batch, for Data Docs
    gx = json.loads((_outputs / "quality" / str(b) / "gx_result_app.json").read_text(encoding="utf-8"))
    assert _values(gx, "run_name") == {f"batch-{b}"}
    assert v.warnings == {K_GOV: 2}
    assert v.failures_by_expectation == {"app:" + K_USCC: 2, "app:" + K_DIV: 2, "app:" + K_FORBIDDEN: 1,
                                         "app:" + K_FUTURE: 1, "app:" + K_DUP: 1}
    q = quarantine(engine, b)
    got = [(r["sheet"], r["row_number"], r["column_name"], r["expectation"].split(":")[1], r["raw_value"]) for r in q]
    assert sorted(got) == sorted([
        ("应用", 3, "统一社会信用代码", K_USCC, "11441700007280420X"),
        ("小程序", 2, "信用代码", K_USCC, " 11441700007280420x "),     # verbatim, before normalising
        ("应用", 4, "行政区划代码", K_DIV, "999999"),
        ("小程序", 2, "区划代码", K_DIV, "999999"),
        ("应用", 5, "主办单位", K_FORBIDDEN, "阳江市\u202e人民政府办公室"),
        ("应用", 6, "上线时间", K_FUTURE, "2026-11-24"),
        ("应用", 7, "(整行)", K_DUP, None),
    ])
    by = {(r["sheet"], r["row_number"], r["expectation"].split(":")[1]): r for r in q}
    assert by[("应用", 4, K_DIV)]["reason_zh"] == "“行政区划代码”填写的“999999”不是有效的行政区划代码。"
    assert by[("小程序", 2, K_DIV)]["reason_en"] == "区划代码 999999 is not a division code."
    assert by[("应用", 6, K_FUTURE)]["reason_zh"] == "“上线时间”2026-11-24 晚于今天。"
    assert by[("应用", 6, K_FUTURE)]["reason_en"] == "上线时间 2026-11-24 is after {today}."  # unknown fields kept
    assert (by[("应用", 7, K_DUP)]["reason_zh"], by[("应用", 7, K_DUP)]["reason_en"]) == (
        "与前面的行重复。", "Repeats an earlier row.")
    # the checker's specific reason (the check character of 11441700007280420 is Y), on the normalised code
    check = "统一社会信用代码第 18 位（校验码）是“X”，按前 17 位计算应为“Y”，请对照登记证书核对整个代码。"
    assert (by[("应用", 3, K_USCC)]["reason_zh"], by[("小程序", 2, K_USCC)]["reason_zh"]) == (
        f"“统一社会信用代码”：{check}", f"“信用代码”：{check}")
    assert by[("小程序", 2, K_USCC)]["reason_en"] == (
        "信用代码 is not a valid credit code: check character (position 18) is 'X', expected 'Y'")
    # ... and for a forbidden character, on the submitted text (position 4 of the name)
    assert by[("应用", 5, K_FORBIDDEN)]["reason_en"] == (
        "主办单位: invisible bidi control character U+202E at position 4; delete it and submit again.")
    assert by[("小程序", 2, K_DIV)]["raw_row"] == syn[0] | {"信用代码": " 11441700007280420x "}
    assert by[("应用", 4, K_DIV)]["raw_row"]["应用名称"] == "坏区划"
    assert {r["expectation"].split(":")[0] for r in q} == {"inventory_sponsor", "inventory_app"}
    assert rows(engine, "apps", "app_key", "name") == [("Q-1", "好应用")]
    # the rejection report lists them (row, submitted cells, reasons) and is recorded
    assert v.report_path == f"file://{_outputs}/quality/{b}/退回报告_批次{b}.xlsx"
    wb = openpyxl.load_workbook(v.report_path.removeprefix("file://"))
    sheet = [[c.value for c in r] for r in wb["小程序"].iter_rows()]
    assert sheet[0] == ["行号", *SYN_HEADER, "问题说明"] and len(sheet) == 2
    assert sheet[1][:8] == [2, "S-1", "小程序甲", "小程序", "阳江市人民政府办公室", " 11441700007280420x ", "999999",
                            "2024-01-01"]
    assert sheet[1][8].startswith("第2行：") and set(sheet[1][8].removeprefix("第2行：").split("；")) == {
        f"“信用代码”：{check}", "“区划代码”填写的“999999”不是有效的行政区划代码。"}
    assert [r[0].value for r in wb["应用"].iter_rows(min_row=2)] == [3, 4, 5, 6, 7]
    with engine.connect() as c:
        assert c.execute(sa.select(schema.documents.c.path)).scalars().all() == [v.report_path]


def test_critical_failures_reject_the_whole_batch_with_their_reason(engine, tmp_path):
    mangled = [app(key="C-1"), app(key="C-2", code="1.14417000072804E+17"), app(key="C-3")]
    b = stage(engine, tmp_path, "科学计数.xlsx", {"应用": (APP_HEADER, mangled)})
    v = run(engine, b)  # 1 row of 3, but the column is unfit: rejected whatever the share
    assert (v.status, v.bad_rows) == ("rejected", 1)
    assert v.critical_failures == [{"entity_type": "app", "expectation": K_EXCEL, "rows": 1,
                                    "reason_zh": "“统一社会信用代码”被 Excel 改成了科学计数法：1.14417000072804E+17。",
                                    "reason_en": "统一社会信用代码 was turned into a number by Excel: 1.14417000072804E+17."}]
    assert "严重问题：“统一社会信用代码”被 Excel 改成了科学计数法：1.14417000072804E+17。（1 行）" in v.message_zh.splitlines()
    assert count(engine, "apps") == 0
    # a required column missing: critical, without rows; its label is the template's
    header = [h for h in APP_HEADER if h != "行政区划代码"]
    b2 = stage(engine, tmp_path, "缺列.xlsx", {"应用": (header, [app(key="C-9")])})
    v2 = run(engine, b2, write_report=True)
    assert (v2.status, v2.bad_rows, v2.quarantined) == ("rejected", 0, 0)
    assert v2.critical_failures == [{"entity_type": "app", "expectation": K_EXISTS, "rows": 0,
                                     "reason_zh": "缺少“行政区划代码”列。", "reason_en": "The division code column is missing."}]
    assert v2.failures_by_expectation == {"app:" + K_EXISTS: 1}
    assert "问题行占比" not in v2.message_zh and v2.report_path  # rejected: a report even without a failing row


def test_a_row_without_the_inventory_key_adopts_the_stored_app_with_its_apple_id(engine):
    """Promotion's identities, most specific first (called directly: through ``validate_batch`` the
    gate's Apple-id ownership check quarantines such a row before promotion sees it)."""
    from fingertip.quality.promote import _adopt_stored_keys

    prov = {"source": "import:x", "fetched_at": NOW, "request_fingerprint": "0" * 64}
    with engine.begin() as c:
        sid = c.execute(sa.insert(schema.sponsors).values(credit_code=YJ, name="阳江市人民政府办公室", division_code="441700",
                                                          level="prefectural", nature="机关", created_at=NOW,
                                                          updated_at=NOW, **prov)).inserted_primary_key[0]
        for key, name, track in (("K-1", "阳江政务通", 1001), ("K-2", "阳江政务通", None)):
            c.execute(sa.insert(schema.apps).values(app_key=key, name=name, kind="app", sponsor_id=sid,
                                                    division_code="441700", apple_track_id=track, created_at=NOW,
                                                    updated_at=NOW, **prov))
    identities = [("apple_track_id",), ("package_name",), ("sponsor_id", "kind", "name")]
    row = {"app_key": "app-derived", "sponsor_id": sid, "kind": "app", "name": "阳江政务通", "apple_track_id": 1001}
    with engine.connect() as c:
        # two stored 阳江政务通: the name alone is ambiguous, the Apple id is not
        assert _adopt_stored_keys(c, schema.apps, {"app-derived": row}, "app_key", identities) == {
            "K-1": {**row, "app_key": "K-1"}}
        assert _adopt_stored_keys(c, schema.apps, {"app-derived": {**row, "apple_track_id": 2002}}, "app_key",
                                  identities) == {"app-derived": {**row, "apple_track_id": 2002}}
