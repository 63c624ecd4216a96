"""The generated template reads back through the importer without any mapping."""

from __future__ import annotations

import io

import openpyxl
import sqlalchemy as sa

from fingertip.inventory.headers import load_header_map
from fingertip.inventory.importer import import_file
from fingertip.inventory.template import SHEET_NAMES, build_template, main
from fingertip.store import schema


def test_template_layout():
    hm = load_header_map()
    wb = openpyxl.load_workbook(io.BytesIO(build_template(year=2026)))
    assert wb.sheetnames == ["应用", "账号", "群组"]
    ws = wb["应用"]
    assert ws["A1"].value == "政务应用程序台账（2026年）"
    header = [c.value for c in ws[2]]
    assert header[:3] == ["序号", "应用名称", "应用类型"]
    assert all(hm.field_for(h, "app") is not None for h in header)
    assert all(ws.column_dimensions[c].number_format == "@" for c in "ABCDEF")
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists["C3:C1002"] == '"原生应用,小程序,快应用"'
    for entity, sheet in SHEET_NAMES.items():
        labels = [c.value for c in wb[sheet][2]]
        assert [hm.field_for(h, entity).name for h in labels] == [f.name for f in hm.template_fields(entity)]


def test_filled_template_is_staged(store_engine, tmp_path):
    wb = openpyxl.load_workbook(io.BytesIO(build_template(year=2026)))
    app = wb["应用"]
    app.append([1, "阳江通", "原生应用", None, "阳江市人民政府办公室", "11441700007280420Y", "市级", "441700"])
    acc = wb["账号"]
    acc.append([1, "阳江发布", "微信公众号", "gh_0123456789ab", "中共阳江市委宣传部"])
    grp = wb["群组"]
    grp.append([1, "防汛值班群", "政务微信", None, "阳江市应急管理局", None, "441700", "防汛", "临时"])
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = inbox / "台账模板-已填.xlsx"
    wb.save(path)
    result = import_file(store_engine, path)
    assert result.status == "staged"
    assert result.rows_by_entity_type == {"app": 1, "account": 1, "work_group": 1}
    assert all(not sh["unknown_columns"] for sh in result.report["sheets"])
    with store_engine.connect() as conn:
        data = {r.entity_type: r.data for r in conn.execute(sa.select(schema.inventory_staging))}
    assert data["app"]["sponsor_credit_code"] == "11441700007280420Y" and data["app"]["sponsor_level"] == "市级"
    assert data["account"]["platform"] == "微信公众号"
    assert data["work_group"]["is_temporary"] == "临时" and data["work_group"]["division_code"] == "441700"


def test_command_line(tmp_path, capsys):
    out = tmp_path / "模板.xlsx"
    assert main([str(out), "--year", "2027"]) == 0
    assert openpyxl.load_workbook(out)["账号"]["A1"].value == "政务公众账号台账（2027年）"
    assert "template written" in capsys.readouterr().out
