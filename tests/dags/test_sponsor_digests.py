"""``sponsor_digests`` for real: detection findings → one digest per unit, never twice."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from tests.conftest import ROOT, airflow_cmd
from tests.helpers import load_airflow_settings

from fingertip.store import schema
from fingertip_dev.mailcatcher import MailCatcher, read_index

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def test_weekly_digests_reach_each_unit_once(airflow_env, tmp_path):
    from fingertip.rules import detect
    from fingertip.store.engine import create_store_engine
    from fingertip_dev.sample.load import generate_into_store

    url = f"sqlite:///{tmp_path / 'store.db'}"
    as_of = dt.date(2026, 11, 20)
    generate_into_store(url, 500, 7, as_of, tmp_path / "sample", inventory=False)
    engine = create_store_engine(url)
    detect(engine, check_date=as_of)
    with engine.connect() as conn:
        f, sp = schema.findings, schema.sponsors
        expected = set(conn.execute(
            sa.select(sp.c.contact_email).join(f, f.c.sponsor_id == sp.c.id)
            .where(f.c.state.in_(("open", "acknowledged")), sp.c.contact_email.is_not(None)).distinct()).scalars())
    assert expected
    with MailCatcher(tmp_path / "mail", port=0) as catcher:
        env = {**airflow_env, "FINGERTIP_STORE_URL": url, "FINGERTIP_SMTP_PORT": str(catcher.port),
               "FINGERTIP_SMTP_HOST": "127.0.0.1"}
        load_airflow_settings(env, ROOT / "airflow_settings.yaml")
        conf = json.dumps({"period_key": "2026-W47"})
        first = airflow_cmd(env, "dags", "test", "sponsor_digests", "2026-11-23", "--conf", conf, timeout=600)
        second = airflow_cmd(env, "dags", "test", "sponsor_digests", "2026-11-24", "--conf", conf, timeout=600)
    assert first.returncode == 0, (first.stdout + first.stderr)[-4000:]
    assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    entries = read_index(tmp_path / "mail")
    assert sorted(r for e in entries for r in e["rcpt_tos"]) == sorted(expected)  # once each
    assert all("2026年第47周" in e["subject"] or "问题" in e["subject"] for e in entries), entries[0]["subject"]
