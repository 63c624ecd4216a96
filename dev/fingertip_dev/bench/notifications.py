"""Benchmark of the mail layer: queue N mails and deliver them into the mail catcher, twice.

``python -m fingertip_dev.bench.notifications --messages N [--attachment-kb K] [--store-url URL]``

Fresh store (SQLite file in a temporary folder, or a fresh schema on PostgreSQL), an in-process
catcher writing ``.eml`` files to a temporary folder, one attachment of K KB per mail. Prints one
JSON object: enqueue and deliver seconds, messages per second, the second deliver (must send 0),
peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa


def run(messages: int = 500, attachment_kb: int = 200, store_url: str = "sqlite://") -> dict:
    from fingertip.notifications import ledger
    from fingertip.store import migrate
    from fingertip.store.engine import create_store_engine
    from fingertip_dev.mailcatcher import MailCatcher, read_index

    tmp = Path(tempfile.mkdtemp(prefix="fingertip-mailbench-"))
    schema = None
    backend = sa.make_url(store_url).get_backend_name()
    try:
        if backend == "sqlite":
            url = f"sqlite:///{tmp / 'bench.db'}"
        else:
            schema = f"ft_mailbench_{uuid.uuid4().hex[:10]}"
            admin = sa.create_engine(store_url)
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            admin.dispose()
            url = sa.make_url(store_url).update_query_dict({"options": f"-csearch_path={schema}"}) \
                .render_as_string(hide_password=False)
        migrate.upgrade(url)
        engine = create_store_engine(url)
        attachment = tmp / "一张表.xlsx"
        attachment.write_bytes(os.urandom(attachment_kb * 1024))
        with MailCatcher(tmp / "mail", port=0) as catcher:
            os.environ["AIRFLOW_CONN_SMTP_BENCH"] = json.dumps({
                "conn_type": "smtp", "host": "127.0.0.1", "port": catcher.port,
                "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "fingertip@cac.example.gov.cn"}})
            t0 = time.perf_counter()
            ledger.enqueue_many(engine, ({
                "key": f"bench:{i}:unit{i}@x.cn", "recipient": f"unit{i}@x.cn",
                "subject": f"【问题整改清单】2026年11月｜单位{i}", "kind": "digest",
                "payload": {"text": f"单位{i}：请整改。", "html": f"<p>单位{i}：请整改。</p>",
                            "attachments": [{"filename": "一张表.xlsx", "path": attachment.as_uri(),
                                             "mime_type": None}]},
            } for i in range(messages)))
            t1 = time.perf_counter()
            first = ledger.deliver(engine, smtp_conn_id="smtp_bench")
            t2 = time.perf_counter()
            second = ledger.deliver(engine, smtp_conn_id="smtp_bench")
            received = len(read_index(catcher.dir))
        engine.dispose()
        deliver_s = t2 - t1
        return {
            "benchmark": "mail_deliver", "backend": backend, "messages": messages, "attachment_kb": attachment_kb,
            "enqueue_s": round(t1 - t0, 3), "deliver_s": round(deliver_s, 3),
            "messages_per_s": round(messages / deliver_s, 1) if deliver_s else None,
            "sent": first.sent, "second_deliver_sent": second.sent, "received": received,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    finally:
        if schema:
            admin = sa.create_engine(store_url)
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.notifications")
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--attachment-kb", type=int, default=200)
    parser.add_argument("--store-url", default="sqlite://")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(run(args.messages, args.attachment_kb, args.store_url), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
