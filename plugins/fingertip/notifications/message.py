"""E-mail messages: the :class:`Email` value, address validation and the MIME builder.

The MIME tree built by :func:`build_mime`::

    multipart/mixed
    ├── multipart/alternative
    │   ├── text/plain                  (always: every mail has a plain-text version)
    │   └── multipart/related           (only with inline images; otherwise text/html directly)
    │       ├── text/html               (refers to the images as ``cid:<cid>``)
    │       └── image/png …             (Content-ID: <cid>, inline)
    └── attachments …                   (Chinese file names: RFC 2231 ``filename*`` + RFC 2047 ``name``)

Levels that would hold a single part are left out (no html → no alternative; no attachments →
no mixed). Headers: Chinese subjects and display names are RFC 2047 encoded, bodies are UTF-8,
``Date`` is Beijing time, and ``Message-ID`` is derived from the ledger key
(:func:`message_id_for`), so a resend of the same ledger row carries the same Message-ID.

Attachment file names are written twice on purpose: ``Content-Disposition: attachment;
filename*=utf-8''…`` (RFC 2231, what standards-following readers use) and ``Content-Type: …;
name="=?utf-8?b?…?="`` (RFC 2047 in the ``name`` parameter, the fallback Outlook-style readers use
when they do not read RFC 2231). Those two headers are pre-folded here, because the standard
library's folder mangles a long content type that carries a non-ASCII parameter.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import mimetypes
import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email import policy as email_policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import Any

from fingertip.text import neutralise, shorten

#: Domain of generated Message-IDs.
MESSAGE_ID_DOMAIN = "fingertip.local"

#: MIME types of the files the project sends (the system table may lack some).
_MIME_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".json": "application/json",
    ".csv": "text/csv",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".html": "text/html",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".zip": "application/zip",
}

# Validation patterns end in \Z, never $: "$" also matches before a trailing newline ("X-Key\n").
_HEADER_NAME = re.compile(r"^[!-9;-~]+\Z")  # RFC 5322 field name: printable ASCII except ':'
_RESERVED_HEADERS = {"subject", "from", "to", "cc", "bcc", "reply-to", "date", "message-id", "mime-version",
                     "content-type", "content-transfer-encoding", "content-disposition"}
_CID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}\Z")
_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)\Z")
_SAFE_FILENAME = re.compile(r"^[A-Za-z0-9 ._()\-]{1,60}\Z")
# Room per encoded chunk: keeps every header line of an attachment under 78 characters.
_EW_BYTES = 39       # RFC 2047 word: 39 bytes → 52 base64 chars → 64-char encoded word
_RFC2231_BYTES = 20  # RFC 2231 segment: at most 20 bytes → at most 60 %-escaped chars
#: Longest mail subject (characters); a longer one is shortened with an ellipsis (fingertip.text.shorten).
SUBJECT_MAX = 250


# -- values ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attachment:
    """A file attached to a mail: ``path`` (local path or ``ObjectStoragePath`` URL such as
    ``file:///…``/``s3://…``) or ``content`` bytes; ``mime_type`` guessed from the name if absent."""

    filename: str
    path: str | None = None
    content: bytes | None = None
    mime_type: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.filename, str) or not self.filename.strip():
            raise ValueError("attachment needs a file name / 附件缺少文件名")
        if (self.path is None) == (self.content is None):
            raise ValueError(f"attachment {self.filename!r}: give exactly one of path or content")
        if self.path is not None and not isinstance(self.path, str):
            object.__setattr__(self, "path", str(self.path))  # Path / ObjectStoragePath → str

    def read_bytes(self) -> bytes:
        if self.content is not None:
            return self.content
        assert self.path is not None  # __post_init__: exactly one of path and content
        return read_location(self.path)

    @property
    def resolved_mime_type(self) -> str:
        return self.mime_type or guess_mime_type(self.filename)


@dataclass(frozen=True)
class InlineImage:
    """An image shown inside the HTML body (``<img src="cid:{cid}">``), PNG by default."""

    cid: str
    path: str | None = None
    content: bytes | None = None
    mime_type: str = "image/png"

    def __post_init__(self) -> None:
        if not isinstance(self.cid, str) or not _CID.match(self.cid):
            raise ValueError(f"inline image Content-ID {self.cid!r} must be ASCII letters, digits, '.', '_' or '-'")
        if (self.path is None) == (self.content is None):
            raise ValueError(f"inline image {self.cid!r}: give exactly one of path or content")
        if self.path is not None and not isinstance(self.path, str):
            object.__setattr__(self, "path", str(self.path))
        if not self.mime_type.startswith("image/"):
            raise ValueError(f"inline image {self.cid!r}: {self.mime_type!r} is not an image type")

    def read_bytes(self) -> bytes:
        if self.content is not None:
            return self.content
        assert self.path is not None  # __post_init__: exactly one of path and content
        return read_location(self.path)


@dataclass
class Email:
    """One mail: subject, recipients, the plain-text body (always) and optionally HTML."""

    subject: str
    to: list[str]
    text: str
    html: str | None = None
    attachments: Sequence[Attachment] = ()
    inline_images: Sequence[InlineImage] = ()
    cc: Sequence[str] = ()
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.to, str):
            self.to = [self.to]
        if isinstance(self.cc, str):
            self.cc = [self.cc]
        if not isinstance(self.subject, str) or not self.subject.strip():
            raise ValueError("mail needs a subject / 邮件缺少主题")
        # Defensive, whatever a name in it holds: one line (line breaks become spaces), no control
        # or bidi characters (fingertip.text, the one definition), at most SUBJECT_MAX characters.
        self.subject = shorten(neutralise(" ".join(self.subject.splitlines())), SUBJECT_MAX)
        if not self.subject.strip():
            raise ValueError("mail needs a subject / 邮件缺少主题")
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError("mail needs a plain-text body / 邮件缺少纯文本正文")
        self.text = neutralise(self.text, multiline=True)
        if self.html is not None:
            self.html = neutralise(self.html, multiline=True)
        self.attachments = tuple(self.attachments)
        self.inline_images = tuple(self.inline_images)
        cids = [img.cid for img in self.inline_images]
        if len(set(cids)) != len(cids):
            raise ValueError(f"duplicate inline image Content-IDs: {cids}")
        if self.inline_images and not self.html:
            raise ValueError("inline images need an HTML body")

    @property
    def recipients(self) -> list[str]:
        """Every envelope recipient (to + cc), validated, without duplicates."""
        return validate_addresses([*self.to, *self.cc])


# -- helpers -----------------------------------------------------------------------------------

def read_location(location: str) -> bytes:
    """Bytes of a local path or an ``ObjectStoragePath`` URL (``file://``, ``s3://`` …).

    ``file://`` URLs may come percent-encoded (``Path.as_uri()``: ``%E4%B8%80…``) or not
    (``str(ObjectStoragePath)``: ``一张表.xlsx``); both are read.
    """
    if location.startswith("file://"):
        raw = urllib.parse.urlparse(location).path
        literal = Path(raw)
        if literal.exists():
            return literal.read_bytes()
        return Path(urllib.parse.unquote(raw)).read_bytes()
    if "://" in location:
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(location).read_bytes()
    return Path(location).read_bytes()


def guess_mime_type(filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()
    return _MIME_TYPES.get(ext) or mimetypes.guess_type(filename)[0] or "application/octet-stream"


def message_id_for(key: str) -> str:
    """The stable Message-ID of a ledger key: ``<sha256(key)[:32]@fingertip.local>``."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


def _bad(address: str, zh: str, en: str) -> tuple[str, str, str]:
    return address, zh, en


def _check_addr_spec(addr: str) -> tuple[str, str, str] | None:
    """None when ``addr`` is a usable ASCII mailbox, else (address, reason zh, reason en)."""
    if not addr:
        return _bad(addr, "地址为空", "empty address")
    if any(ch.isspace() for ch in addr):
        return _bad(addr, "地址中含有空白字符", "contains whitespace")
    if not addr.isascii():
        return _bad(addr, "地址中含有非 ASCII 字符（域名请使用 xn-- 形式）",
                    "contains non-ASCII characters (use the xn-- form of the domain)")
    if addr.count("@") != 1:
        return _bad(addr, "地址中必须有且只有一个 @", "must contain exactly one '@'")
    try:
        parsed = Address(addr_spec=addr)
    except (ValueError, TypeError, HeaderParseError, IndexError) as exc:
        return _bad(addr, f"格式不正确（{exc}）", f"malformed ({exc})")
    if not parsed.username:
        return _bad(addr, "缺少 @ 前的用户名", "missing the local part")
    labels = parsed.domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels) \
            or not (labels[-1].isalpha() or labels[-1].lower().startswith("xn--")):
        return _bad(addr, f"域名 {parsed.domain!r} 不正确", f"invalid domain {parsed.domain!r}")
    return None


def parse_addresses(addresses: Iterable[str] | str) -> list[Address]:
    """Like :func:`validate_addresses`, but keeps display names (``张三 <a@b.cn>``) for headers."""
    if isinstance(addresses, str):
        items: list[Any] = [a for a in re.split(r"[,;]", addresses) if a.strip()]
    else:
        items = list(addresses)
    good: list[Address] = []
    seen: set[str] = set()
    bad: list[tuple[str, str, str]] = []
    for item in items:
        if not isinstance(item, str):
            bad.append(_bad(repr(item), "不是字符串", "not a string"))
            continue
        text = item.strip()
        if "\r" in text or "\n" in text:
            bad.append(_bad(text, "地址中含有换行符", "contains a line break"))
            continue
        parsed = getaddresses([text]) if text else [("", "")]
        if len(parsed) != 1 or not parsed[0][1]:
            bad.append(_bad(text, "格式不正确（或一项中含有多个地址）",
                            "malformed (or more than one address in one item)"))
            continue
        name, addr = parsed[0]
        problem = _check_addr_spec(addr)
        if problem:
            bad.append((text, problem[1], problem[2]))
            continue
        local, _, domain = addr.rpartition("@")
        if f"{local}@{domain}".lower() in seen:
            continue
        seen.add(f"{local}@{domain}".lower())
        good.append(Address(display_name=name, username=local, domain=domain.lower()))
    if bad:
        zh = "；".join("“{}”{}".format(a.replace("\r", "\\r").replace("\n", "\\n"), why) for a, why, _ in bad)
        en = "; ".join(f"{a!r}: {why}" for a, _, why in bad)
        raise ValueError(f"邮件地址无效：{zh}。Invalid e-mail address(es): {en}")
    return good


def validate_addresses(addresses: Iterable[str] | str) -> list[str]:
    """Check mail addresses; return them as plain ``local@domain`` strings, duplicates removed.

    Accepts a list (one address per item, ``张三 <a@b.cn>`` allowed) or a string separated by
    commas or semicolons. Raises ``ValueError`` naming every bad address, in Chinese and English.
    Addresses must be ASCII (``xn--`` domains). An empty input gives an empty list (the caller
    decides whether that is allowed).
    """
    return [a.addr_spec for a in parse_addresses(addresses)]


def _encoded_words(value: str) -> list[str]:
    """RFC 2047 base64 encoded words of ``value``, each short enough for a folded line."""
    words, chunk = [], b""
    for ch in value:
        b = ch.encode("utf-8")
        if chunk and len(chunk) + len(b) > _EW_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += b
    words.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words]


def _rfc2231_params(name: str, value: str) -> list[str]:
    """``name*=utf-8''…`` (or ``name*0*=…; name*1*=…`` continuations) for a non-ASCII value."""
    segments, chunk = [], ""
    for ch in value:
        if chunk and len(chunk.encode("utf-8")) + len(ch.encode("utf-8")) > _RFC2231_BYTES:
            segments.append(chunk)
            chunk = ""
        chunk += ch
    segments.append(chunk)
    quoted = [urllib.parse.quote(s, safe="") for s in segments]
    if len(quoted) == 1:
        return [f"{name}*=utf-8''{quoted[0]}"]
    return [f"{name}*{i}*=" + ("utf-8''" if i == 0 else "") + q for i, q in enumerate(quoted)]


def clean_filename(filename: str) -> str:
    """A file name safe for a mail header: the base name, no control characters or quotes."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"')
    name = name.strip().strip(".") or "attachment"
    return name[:150]


def _attachment_part(att: Attachment) -> Message:
    """A compat32 part whose two naming headers are pre-folded (each line < 78 characters)."""
    filename = clean_filename(att.filename)
    mime_type = att.resolved_mime_type
    maintype, _, subtype = mime_type.partition("/")
    if not maintype or not subtype or not mime_type.isascii() or any(c.isspace() for c in mime_type):
        raise ValueError(f"attachment {att.filename!r}: invalid MIME type {mime_type!r}")
    first = f"{mime_type};"
    ctype_head = f" {first}" if len("Content-Type: ") + len(first) <= 78 else f"\n {first}"
    if _SAFE_FILENAME.match(filename):
        ctype = f'{ctype_head}\n name="{filename}"'
        disp = f'attachment;\n filename="{filename}"'
    else:
        ctype = f'{ctype_head}\n name="' + "\n ".join(_encoded_words(filename)) + '"'
        disp = "attachment;\n " + ";\n ".join(_rfc2231_params("filename", filename))
    part = Message(policy=email_policy.compat32)
    part["Content-Type"] = ctype.lstrip(" ")
    part["Content-Disposition"] = disp
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(att.read_bytes()).decode("ascii"))
    return part


def _address_header(addresses: Sequence[str]) -> tuple[Address, ...]:
    return tuple(parse_addresses(list(addresses)))


def build_mime(email: Email, sender: str, message_id: str | None = None, *,
               date: dt.datetime | None = None, sender_name: str | None = None) -> EmailMessage:
    """The MIME message of ``email`` from ``sender`` (see the module docstring for the layout).

    ``message_id`` should be :func:`message_id_for` of the ledger key (a fresh one is made
    otherwise); ``date`` defaults to now (the header is written in Beijing time).
    """
    from fingertip.runtime import TIMEZONE

    senders = validate_addresses([sender])
    if len(senders) != 1:
        raise ValueError(f"invalid sender {sender!r} / 发件人地址无效")
    to = parse_addresses(list(email.to))
    if not to:
        raise ValueError("mail has no recipient / 邮件没有收件人")
    msg = EmailMessage(policy=email_policy.SMTP)
    msg["Subject"] = email.subject
    local, _, domain = senders[0].rpartition("@")
    msg["From"] = Address(display_name=sender_name or "", username=local, domain=domain)
    msg["To"] = tuple(to)
    if email.cc:
        msg["Cc"] = _address_header(email.cc)
    if email.reply_to:
        msg["Reply-To"] = _address_header([email.reply_to])
    from zoneinfo import ZoneInfo

    when = date or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    msg["Date"] = format_datetime(when.astimezone(ZoneInfo(TIMEZONE)))
    msg["Message-ID"] = message_id or make_msgid(domain=MESSAGE_ID_DOMAIN)
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (email.headers or {}).items():
        if not _HEADER_NAME.match(name) or name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"header {name!r} cannot be set as an extra header")
        if "\r" in str(value) or "\n" in str(value):
            raise ValueError(f"header {name!r}: value must be one line")
        msg[name] = str(value)

    msg.set_content(email.text, subtype="plain", charset="utf-8", cte=None if email.text.isascii() else "base64")
    if email.html:
        msg.add_alternative(email.html, subtype="html", charset="utf-8", cte="base64")
        if email.inline_images:
            html_part = list(msg.iter_parts())[-1]  # multipart/alternative: text, then HTML
            for img in email.inline_images:
                maintype, _, subtype = img.mime_type.partition("/")
                html_part.add_related(img.read_bytes(), maintype=maintype, subtype=subtype,
                                      cid=f"<{img.cid}>", disposition="inline",
                                      filename=f"{img.cid}.{subtype.split('+')[0]}")
    if email.attachments:
        msg.make_mixed()
        for att in email.attachments:
            # a compat32 part on purpose (pre-folded naming headers): typeshed's attach wants an
            # EmailMessage, the runtime takes any Message
            msg.attach(_attachment_part(att))  # type: ignore[arg-type]
    # One serialise/parse round trip: a uniform EmailMessage tree whose pre-folded headers are
    # kept verbatim (they are "source" headers now, refolded only if a line were too long).
    return BytesParser(policy=email_policy.SMTP).parsebytes(msg.as_bytes())


def recipients_of(msg: EmailMessage) -> list[str]:
    """The To and Cc addresses of a built message (tests and logs)."""
    values = [str(v) for name in ("To", "Cc") for v in (msg.get_all(name) or [])]
    return [addr for _n, addr in getaddresses(values)]


def summarize(msg: EmailMessage) -> dict[str, Any]:
    """A short description of a message for logs: no bodies, no addresses beyond the header."""
    return {"subject": str(msg["Subject"]), "message_id": str(msg["Message-ID"]),
            "attachments": [part.get_filename() for part in msg.iter_attachments()]}
