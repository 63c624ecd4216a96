"""MIME building: structure, Chinese subject and file names, bytes of every attachment, addresses.

The message goes through a real SMTP server (aiosmtpd) and is parsed back with the ``email``
package, both with the modern policy and with compat32 (what older readers do).
"""

from __future__ import annotations

import email as email_pkg
import io
import struct
import zlib
from email.header import decode_header, make_header

import pytest
from tests.notifications.helpers import CONN_ID, FROM

from fingertip.notifications import (
    Attachment,
    Email,
    InlineImage,
    build_mime,
    message_id_for,
    validate_addresses,
)
from fingertip.notifications.smtp import send_message

SUBJECT = "【指尖治理】2026年第三季度防治“指尖上的形式主义”工作情况报告（含一张表、Word 和 PDF 附件）"
XLSX_NAME = "2026年第三季度治理情况一张表（汇总）.xlsx"
DOCX_NAME = "关于2026年第三季度政务应用程序清理整合情况的报告.docx"


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def documents(tmp_path):
    import docx
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(["地区", "应用数"])
    ws.append(["广东省", 1234])
    xlsx = tmp_path / "summary.xlsx"
    wb.save(xlsx)
    doc = docx.Document()
    doc.add_paragraph("关于清理整合情况的报告：共关停 17 个“僵尸”应用。")
    docx_path = tmp_path / "report.docx"
    doc.save(docx_path)
    png = tmp_path / "chart.png"
    png.write_bytes(tiny_png())
    return {"xlsx": xlsx, "docx": docx_path, "png": png}


def make_email(documents, **kw) -> Email:
    return Email(
        subject=SUBJECT,
        to=["张三 <zhangsan@cac.example.gov.cn>"],
        cc=["li.si@gd.example.gov.cn"],
        text="各位领导：\n本季度共核查应用 12,345 个。",
        html='<p>各位领导：</p><p>本季度共核查应用 12,345 个。</p><img src="cid:chart-1">',
        attachments=[Attachment(XLSX_NAME, path=documents["xlsx"].as_uri()),  # ObjectStoragePath URL
                     Attachment(DOCX_NAME, path=str(documents["docx"])),      # plain local path
                     Attachment("figures.json", content=b'{"apps": 12345}')],
        inline_images=[InlineImage("chart-1", path=str(documents["png"]))],
        headers={"X-Fingertip-Kind": "report"},
        **kw,
    )


def test_structure_and_headers(documents):
    msg = build_mime(make_email(documents), FROM, message_id_for("report:2026Q3:zhangsan@cac.example.gov.cn"))
    assert msg.get_content_type() == "multipart/mixed"
    top = msg.get_payload()
    assert [p.get_content_type() for p in top] == [
        "multipart/alternative",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/json"]
    alternative = top[0].get_payload()
    assert [p.get_content_type() for p in alternative] == ["text/plain", "multipart/related"]
    related = alternative[1].get_payload()
    assert [p.get_content_type() for p in related] == ["text/html", "image/png"]
    assert related[1]["Content-ID"] == "<chart-1>"
    assert 'cid:chart-1' in related[0].get_content()
    assert alternative[0].get_content_charset() == "utf-8"
    assert alternative[0].get_content().startswith("各位领导")
    assert msg["Message-ID"] == message_id_for("report:2026Q3:zhangsan@cac.example.gov.cn")
    assert msg["Date"] and msg["Date"].endswith("+0800")
    raw = msg.as_bytes()
    assert raw.isascii(), "headers and bodies are 7-bit: subject RFC 2047, bodies base64"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


def test_message_id_is_stable_per_key():
    assert message_id_for("a:b@c.cn") == message_id_for("a:b@c.cn")
    assert message_id_for("a:b@c.cn") != message_id_for("a:d@c.cn")
    assert message_id_for("k").endswith("@fingertip.local>") and len(message_id_for("k")) == 2 + 32 + 16


def test_received_over_smtp_decodes(documents, smtp_server, smtp_conn):
    msg = build_mime(make_email(documents), FROM, message_id_for("k1"), sender_name="指尖治理平台")
    send_message(msg, ["zhangsan@cac.example.gov.cn"], smtp_conn_id=CONN_ID, retries=0)
    assert len(smtp_server.messages) == 1
    got = smtp_server.messages[0]
    assert got.rcpt_tos == ["zhangsan@cac.example.gov.cn"]
    assert got.mail_from == FROM
    parsed = got.msg
    assert str(parsed["Subject"]) == SUBJECT
    assert b"=?utf-8?" in got.raw.split(b"\r\n\r\n")[0]  # encoded-words on the wire
    assert parsed["To"].addresses[0].display_name == "张三"
    assert parsed["From"].addresses[0].display_name == "指尖治理平台"
    atts = {a.get_filename(): a for a in parsed.iter_attachments()}
    assert set(atts) == {XLSX_NAME, DOCX_NAME, "figures.json"}

    import docx
    import openpyxl

    xlsx_bytes = atts[XLSX_NAME].get_content()
    assert xlsx_bytes == documents["xlsx"].read_bytes()
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes)).active
    assert ws.title == "汇总" and ws["A2"].value == "广东省" and ws["B2"].value == 1234
    docx_bytes = atts[DOCX_NAME].get_content()
    assert docx_bytes == documents["docx"].read_bytes()
    assert "17 个“僵尸”应用" in docx.Document(io.BytesIO(docx_bytes)).paragraphs[0].text
    assert atts["figures.json"].get_content() == b'{"apps": 12345}'
    image = next(p for p in parsed.walk() if p.get_content_type() == "image/png")
    assert image.get_content() == documents["png"].read_bytes()
    html = parsed.get_body(("html",)).get_content()
    assert "12,345" in html


def test_filenames_for_older_readers(documents):
    """compat32 reads RFC 2231 ``filename*``; Outlook-style readers read the RFC 2047 ``name``."""
    raw = build_mime(make_email(documents), FROM).as_bytes()
    old = email_pkg.message_from_bytes(raw)  # compat32 policy
    parts = [p for p in old.walk() if p.get("Content-Disposition", "").startswith("attachment")]
    assert [p.get_filename() for p in parts] == [XLSX_NAME, DOCX_NAME, "figures.json"]
    for part, expected in zip(parts, [XLSX_NAME, DOCX_NAME, "figures.json"], strict=True):
        name = part.get_param("name")  # raw Content-Type parameter, as an RFC 2047-only reader sees it
        assert str(make_header(decode_header(name))) == expected
    header = str(old["Subject"])
    assert str(make_header(decode_header(header))) == SUBJECT


def test_long_names_and_types_fold_cleanly(tmp_path):
    name = "关于" + "政务移动互联网应用程序规范化管理" * 4 + "情况的报告.docx"
    em = Email(subject="测" * 120, to=["a@b.cn"], text="x",
               attachments=[Attachment(name, content=b"abc")])
    raw = build_mime(em, FROM).as_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    parsed = email_pkg.message_from_bytes(raw, policy=email_pkg.policy.default)
    att = next(parsed.iter_attachments())
    assert att.get_filename() == name
    assert att.get_content_type() == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert str(parsed["Subject"]) == "测" * 120


def test_text_only_mail_is_a_single_part():
    msg = build_mime(Email(subject="提醒", to=["a@b.cn"], text="明天到期"), FROM)
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content().strip() == "明天到期"


def test_hostile_filename_is_cleaned():
    em = Email(subject="s", to=["a@b.cn"], text="x",
               attachments=[Attachment('../../etc/"passwd\r\nX-Evil: 1.xlsx', content=b"1")])
    raw = build_mime(em, FROM).as_bytes()
    assert b"X-Evil: 1" not in raw.replace(b"\r\n ", b" ").split(b"\r\n\r\n")[0]
    parsed = email_pkg.message_from_bytes(raw, policy=email_pkg.policy.default)
    fname = next(parsed.iter_attachments()).get_filename()
    assert "/" not in fname and '"' not in fname and "\n" not in fname and fname.endswith(".xlsx")


@pytest.mark.parametrize("bad", ["zhangsan", "a@b", "a@@b.cn", "<script>@x.cn", "a b@c.cn", "王@政府.cn",
                                 "a@b.cn\r\nBcc: evil@x.cn", "a@b.cn, c@d.cn", "", "a@-b.cn"])
def test_validate_addresses_rejects(bad):
    with pytest.raises(ValueError) as info:
        validate_addresses(["ok@example.gov.cn", bad])
    text = str(info.value)
    assert "邮件地址无效" in text and "Invalid e-mail address" in text
    assert repr(bad) in text  # names the bad one
    assert "ok@example.gov.cn" not in text


def test_validate_addresses_normalises():
    assert validate_addresses(["张三 <ZS@Example.GOV.cn>", "zs@example.gov.cn", "li@x.cn"]) == [
        "ZS@example.gov.cn", "li@x.cn"]
    assert validate_addresses("a@b.cn; c@d.cn,") == ["a@b.cn", "c@d.cn"]
    assert validate_addresses([]) == []


def test_email_rejects_bad_input():
    with pytest.raises(ValueError, match="subject"):
        Email(subject="", to=["a@b.cn"], text="x")
    with pytest.raises(ValueError, match="plain-text"):
        Email(subject="s", to=["a@b.cn"], text="")
    # a line break in a subject (from a name) is folded to a space: one line, no header injection
    injected = build_mime(Email(subject="a\nBcc: x@y.cn\u202e", to=["a@b.cn"], text="x"), FROM)
    assert injected["Subject"] == "a Bcc: x@y.cn" and injected["Bcc"] is None
    with pytest.raises(ValueError, match="HTML"):
        Email(subject="s", to=["a@b.cn"], text="x", inline_images=[InlineImage("c1", content=b"x")])
    with pytest.raises(ValueError, match="Content-ID"):
        InlineImage("bad cid", content=b"x")
    with pytest.raises(ValueError, match="cannot be set"):
        build_mime(Email(subject="s", to=["a@b.cn"], text="x", headers={"Bcc": "x@y.cn"}), FROM)
