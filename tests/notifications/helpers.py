"""A real SMTP server (aiosmtpd) on a free loopback port, and the Airflow connection to it.

Helpers of the mail tests. ``smtp_server`` (conftest) records every message (envelope + parsed MIME); ``smtp_server.refuse[addr] =
"550 5.1.1 …"`` makes it refuse a recipient. ``smtp_conn`` points the Airflow connection
``smtp_test`` at it through ``AIRFLOW_CONN_SMTP_TEST`` (JSON form), as an operator would.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

FROM = "fingertip@cac.example.gov.cn"
CONN_ID = "smtp_test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def msg(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)


@dataclass
class RecordingServer:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None  # e.g. "554 5.7.1 rejected": refuse every message after DATA
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: object = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def start(self) -> RecordingServer:
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.controller = Controller(self, hostname=self.host, port=self.port, decode_data=False)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]


def conn_json(port: int, **extra) -> str:
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port,
                       "extra": {"disable_ssl": True, "disable_tls": True, "from_email": FROM, "timeout": 5,
                                 "retry_limit": 0, **extra}})


FAST = {"smtp_conn_id": CONN_ID, "send_retries": 1, "retry_backoff": 0.01}
