"""The announcement (公告) and data-disposal checklist (数据处置清单) of a case, filled from the store.

``announce(engine, case, …)`` takes an ``approved`` case to ``announced``: it checks the successor
(blocked → ``blocked_reason``, no documents), builds :class:`AnnouncementContext` and
:class:`DisposalContext` from the store (sponsor, credit code and contacts from ``sponsors``, filing
numbers from ``filings`` of the app, platforms from ``store_listings`` / the account's platform,
reason and basis from the finding and its rule, dates from the settings), writes the documents into
``<outputs>/cases/<case_key>/`` with the documents package's renderers, records every file in
``documents`` and moves the case to ``announced`` with ``announced_on``, ``stop_on`` and
``disposal_due_on`` — the recording and the transition in one transaction.

Two runs announcing one case at once: the first claims the case (a conditional update of its
``updated_at``, honoured for :data:`CLAIM_MINUTES`), the other skips it.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fingertip.lifecycle import cases
from fingertip.lifecycle import successor as succ
from fingertip.lifecycle.settings import Settings
from fingertip.store import schema

log = logging.getLogger(__name__)
CLAIM_MINUTES = 15
STORE_ZH = {"apple": "苹果App Store", "huawei": "华为应用市场", "xiaomi": "小米应用商店", "oppo": "OPPO软件商店",
            "vivo": "vivo应用商店", "honor": "荣耀应用市场", "yingyongbao": "腾讯应用宝"}
KIND_ZH = {"app": "移动应用", "mini_program": "小程序", "quick_app": "快应用"}


class DocumentsUnavailable(RuntimeError):
    """The documents package (fingertip.documents) is not installed in this checkout."""


def _docs():
    try:
        from fingertip.documents import announcement, disposal, registry
    except ImportError as exc:  # pragma: no cover - depends on the checkout
        raise DocumentsUnavailable(f"fingertip.documents is not importable ({exc}); cannot write announcements") \
            from exc
    return announcement, disposal, registry


# --- facts from the store ---------------------------------------------------------------------------

def case_facts(conn: Connection, case: dict[str, Any]) -> dict[str, Any]:
    """Everything the documents say about the case's target, read from the store."""
    row = cases.target_row(conn, case["target_type"], case["target_key"])
    if row is None:
        raise cases.CaseError(f"case {case['case_key']}: target {case['target_type']} {case['target_key']!r} "
                              "is no longer in the inventory")
    target = dict(row)
    sponsor_id = target["id"] if case["target_type"] == "sponsor" else target["sponsor_id"]
    sponsor = dict(conn.execute(sa.select(schema.sponsors).where(schema.sponsors.c.id == sponsor_id)).mappings().one())
    filings: list[str] = []
    platforms: list[str] = []
    listings: list[dict[str, Any]] = []
    if case["target_type"] == "app":
        filings = list(conn.execute(sa.select(schema.filings.c.service_licence).where(schema.filings.c.app_id == target["id"])
                                    .order_by(schema.filings.c.filing_kind.desc(), schema.filings.c.service_licence)).scalars())
        listings = [dict(r) for r in conn.execute(
            sa.select(schema.store_listings.c.store, schema.store_listings.c.store_app_id, schema.store_listings.c.available)
            .where(schema.store_listings.c.app_id == target["id"]).order_by(schema.store_listings.c.store)).mappings()]
        platforms = [STORE_ZH.get(r["store"], r["store"]) for r in listings]
        if target["kind"] != "app":
            host = succ.platform_zh(target.get("host_platform"))
            platforms.append(f"{host}{KIND_ZH[target['kind']]}" if host else KIND_ZH[target["kind"]])
    elif case["target_type"] in ("account", "work_group"):
        platforms = [succ.platform_zh(target["platform"])]
    name = target.get("name")
    return {"target": target, "target_name": name, "sponsor": sponsor, "filing_numbers": filings,
            "platforms": platforms, "listings": listings}


@functools.lru_cache(maxsize=1)
def _article_labels() -> dict[str, str]:
    try:
        from fingertip.rules import load_policy

        return {k: str(getattr(v, "label", v)) for k, v in load_policy().articles.items()}
    except Exception:  # noqa: BLE001 — labels are optional: any policy load error, the basis text alone is enough
        log.warning("policy articles unavailable; announcements cite the finding's basis only")
        return {}


def _article_label(article: str | None) -> str | None:
    return _article_labels().get(article) if article else None


def case_dates(settings: Settings, announced_on: dt.date) -> dict[str, dt.date]:
    stop_on = settings.stop_date(announced_on)
    return {"announced_on": announced_on, "stop_on": stop_on, "disposal_due_on": settings.disposal_deadline(stop_on)}


def _fit(cls: type, values: dict[str, Any]) -> Any:
    """Instantiate ``cls`` with the values it accepts (the documents API may grow or shrink fields)."""
    params = inspect.signature(cls).parameters
    return cls(**{k: v for k, v in values.items() if k in params})


def _categories(disposal: Any, target_type: str, settings: Settings) -> list[Any]:
    """Data categories for the checklist: the settings' names, each with its legal basis and method
    from the documents package's catalogue (unknown names are classified conservatively)."""
    names = settings.data_categories.get(target_type) or None
    return list(disposal.default_categories(target_type, names))


def build_contexts(conn: Connection, case: dict[str, Any], settings: Settings, *, announced_on: dt.date,
                   successor: succ.SuccessorCheck, doc_number: str | None = None) -> tuple[Any, Any]:
    """``(AnnouncementContext, DisposalContext)`` of a case, from the store and the settings."""
    announcement, disposal, _ = _docs()
    facts = case_facts(conn, case)
    details = case.get("details") or {}
    dates = case_dates(settings, announced_on)
    sponsor = facts["sponsor"]
    basis = details.get("basis") or "《关于防治“指尖上的形式主义”的若干意见》"
    label = _article_label(details.get("article"))
    if label and label not in basis:
        basis = f"{basis}（{label}）"
    categories = _categories(disposal, case["target_type"], settings)
    category_names = [x.name for x in categories]
    ann = _fit(announcement.AnnouncementContext, dict(
        case_key=case["case_key"], target_type=case["target_type"], target_name=facts["target_name"],
        sponsor_name=sponsor["name"], sponsor_credit_code=sponsor["credit_code"],
        filing_numbers=facts["filing_numbers"], platforms=facts["platforms"],
        reason_zh=details.get("title_zh") or case.get("reason") or "经评估决定停止运营",
        basis_zh=basis, publication_date=dates["announced_on"], last_service_date=dates["stop_on"],
        successor_name=successor.name, successor_url=successor.url,
        pending_business_zh=settings.pending_business_zh.get(case["target_type"], ""),
        data_categories=category_names, personal_data_deadline=dates["disposal_due_on"],
        archive_note_zh=settings.archive_note_zh, contact_phone=sponsor.get("contact_phone") or "",
        contact_email=sponsor.get("contact_email") or "", doc_number=doc_number,
        min_notice_days=settings.min_notice_days, notice_source_zh=settings.min_notice_source))
    contractors = list(details.get("contractors") or [])
    chk = _fit(disposal.DisposalContext, dict(
        case_key=case["case_key"], target_type=case["target_type"], target_name=facts["target_name"],
        sponsor_name=sponsor["name"], sponsor_credit_code=sponsor["credit_code"], stop_date=dates["stop_on"],
        deadline=dates["disposal_due_on"], responsible_person=sponsor.get("contact_name") or "",
        responsible_phone=sponsor.get("contact_phone") or "", data_categories=categories,
        filing_numbers=facts["filing_numbers"], contractors=contractors, platforms=facts["platforms"]))
    return ann, chk


def is_light(conn: Connection, case: dict[str, Any], settings: Settings) -> bool:
    """The light closing path: an internal temporary work group, with ``light_close`` on in the settings."""
    if case["target_type"] != "work_group" or not settings.light_close_temporary_groups:
        return False
    row = cases.target_row(conn, "work_group", case["target_key"])
    return bool(row is not None and row["is_temporary"])


def build_closing_record(conn: Connection, case: dict[str, Any], *, day: dt.date) -> Any:
    """The :class:`~fingertip.documents.closing_record.ClosingRecordContext` of a light case."""
    from fingertip.documents.closing_record import ClosingRecordContext

    facts = case_facts(conn, case)
    details = case.get("details") or {}
    target, sponsor = facts["target"], facts["sponsor"]
    basis = details.get("basis") or "《关于防治“指尖上的形式主义”的若干意见》"
    label = _article_label(details.get("article"))
    if label and label not in basis:
        basis = f"{basis}（{label}）"
    return ClosingRecordContext(
        case_key=case["case_key"], group_name=facts["target_name"], platform_zh="、".join(facts["platforms"]),
        sponsor_name=sponsor["name"], sponsor_credit_code=sponsor["credit_code"], owner_name=target.get("owner_name"),
        purpose=target.get("purpose"), task_ends_on=target.get("task_ends_on"), member_count=target.get("member_count"),
        reason_zh=details.get("title_zh") or case.get("reason") or "临时任务已结束", basis_zh=basis, closing_date=day)


def write_closing_record(case_key: str, record: Any) -> list[Any]:
    """Write the internal closing record into ``<outputs>/cases/<case_key>/`` (see :func:`write_documents`)."""
    from fingertip.documents.closing_record import closing_record_files

    return _write_files(case_key, closing_record_files(record))


def write_documents(case_key: str, ann: Any, chk: Any) -> list[Any]:
    """Write the announcement and the checklist into ``<outputs>/cases/<case_key>/``.

    Every file is rendered in memory first, so a case that cannot be rendered leaves no file; each file
    is written atomically (a temporary file renamed into place, see ``official.write_output``); a file
    already written is removed again when a later one cannot be written. The caller records the rows.
    """
    announcement, disposal, _ = _docs()
    return _write_files(case_key, [*announcement.announcement_files(ann), *disposal.checklist_files(chk)])


def _write_files(case_key: str, files: list[tuple[str, str, str, bytes]]) -> list[Any]:
    """Write rendered (kind, fmt, name, bytes) files of a case; all or none."""
    from fingertip import config
    from fingertip.documents.official import remove_output, written

    dest = config.output_path("cases", case_key)
    dest.mkdir(parents=True, exist_ok=True)
    done: list[Any] = []
    try:
        for kind, fmt, name, data in files:
            done.append(written(kind, fmt, dest / name, data))
    except BaseException:
        for w in done:
            remove_output(w.path)
        raise
    return done


# --- announce ------------------------------------------------------------------------------------

def _claim(conn: Connection, case: dict[str, Any], now: dt.datetime) -> bool:
    """Claim an approved case for announcing (optimistic: its ``updated_at`` must be unchanged)."""
    claim = (case.get("details") or {}).get("announcing_since")
    if claim and dt.datetime.fromisoformat(claim) > now - dt.timedelta(minutes=CLAIM_MINUTES):
        return False
    details = {**(case.get("details") or {}), "announcing_since": now.isoformat()}
    result = conn.execute(sa.update(cases.T).where(cases.T.c.id == case["id"], cases.T.c.state == "approved",
                                                   cases.T.c.updated_at == case["updated_at"])
                          .values(details=details, updated_at=now))
    return result.rowcount == 1


def prepare(engine: sa.Engine, case_key: str, *, day: dt.date, settings: Settings,
            actor: str = cases.SYSTEM_ACTOR) -> dict[str, Any]:
    """Check the successor, claim the case and build its contexts (``outcome == "ready"``), or say why not."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        case = cases.get_case(conn, case_key)
        if case["state"] != "approved":
            return {"case": case_key, "outcome": "skipped", "state": case["state"]}
        light = is_light(conn, case, settings)
        check = succ.check(conn, case["successor_kind"], case["successor_key"], day=day,
                           max_silence_days=settings.account_max_silence_days,
                           required=settings.successor_required and not light)
        if not check.ok:
            if case["blocked_reason"] != check.blocked_reason:
                conn.execute(sa.update(cases.T).where(cases.T.c.id == case["id"])
                             .values(blocked_reason=check.blocked_reason, updated_at=now))
                cases.note(conn, case, actor=actor, reason=f"公告受阻：{check.blocked_reason}",
                           evidence={"successor": check.as_dict()})
            log.warning("case %s blocked: %s", case_key, check.blocked_reason)
            return {"case": case_key, "outcome": "blocked", "reason": check.blocked_reason}
        if not _claim(conn, case, now):
            return {"case": case_key, "outcome": "skipped", "why": "being announced by another run"}
        case = cases.get_case(conn, case_key)
        if light:
            return {"case": case_key, "outcome": "ready", "row": case, "check": check, "light": True,
                    "record": build_closing_record(conn, case, day=day)}
        ann, chk = build_contexts(conn, case, settings, announced_on=day, successor=check)
    return {"case": case_key, "outcome": "ready", "row": case, "check": check, "ann": ann, "chk": chk}


def release(engine: sa.Engine, case_id: int) -> None:
    """Drop the announcing claim after a rendering error (the next run tries again)."""
    with engine.begin() as conn:
        cases.update_details(conn, case_id, {"announcing_since": None})


def fail(engine: sa.Engine, case_key: str, exc: BaseException, *, actor: str = cases.SYSTEM_ACTOR) -> dict[str, Any]:
    """One case could not be announced (its documents could not be built or written): the claim is
    released, the case keeps ``approved`` with ``blocked_reason`` saying why (and an event), and the run
    reports it; the other cases go on. The next run tries it again."""
    from fingertip.text import neutralise, shorten

    error = shorten(neutralise(f"{type(exc).__name__}: {exc}"), 500)
    reason = shorten(f"公告文件无法生成：{neutralise(str(exc)) or type(exc).__name__}", 500)
    log.error("case %s: documents could not be written: %s", case_key, error)
    try:
        with engine.begin() as conn:
            case = cases.get_case(conn, case_key)
            cases.update_details(conn, case["id"], {"announcing_since": None}, blocked_reason=reason)
            cases.note(conn, case, actor=actor, reason=reason, evidence={"error": error})
    except Exception:  # noqa: BLE001 — the report below still names the case and its error
        log.exception("case %s: the failure could not be recorded", case_key)
    return {"case": case_key, "outcome": "failed", "reason": reason, "error": error}


def commit(engine: sa.Engine, ready: dict[str, Any], written: list[Any], *, day: dt.date, settings: Settings,
           actor: str = cases.SYSTEM_ACTOR) -> dict[str, Any]:
    """Record the written documents and move the case to ``announced`` — one transaction."""
    _, _, registry = _docs()
    case, check, case_key = ready["row"], ready["check"], ready["case"]
    light = bool(ready.get("light"))
    if light:  # closed from the day of the record: no notice period, no disposal deadline beyond it
        dates = {"announced_on": day, "stop_on": day, "disposal_due_on": day}
        calendar_warning = None
        reason = (f"内部解散记录已生成：{day} 起解散（临时工作群组轻量关闭：不发布公开公告，不设公告期，"
                  "不填报数据处置清单）")
    else:
        dates = case_dates(settings, day)
        calendar_warning = settings.disposal_deadline_warning(dates["stop_on"])
        reason = (f"公告已生成：{dates['announced_on']} 发布，{dates['stop_on']} 停止服务，"
                  f"{dates['disposal_due_on']} 前完成数据处置" + (f"（{calendar_warning}）" if calendar_warning else ""))
    with engine.begin() as conn:
        ok = cases.transition(conn, case, "approved", "announced", actor=actor, reason=reason,
                              evidence={"documents": [{"kind": w.kind, "format": w.doc_format, "path": str(w.path),
                                                   "sha256": w.sha256} for w in written],
                                    "successor": check.as_dict(),
                                    **({"calendar_warning": calendar_warning} if calendar_warning else {})},
                              values={**dates, "blocked_reason": None,
                                  "details": {**(case.get("details") or {}), "announcing_since": None,
                                              "successor_name": check.name, "successor_url": check.url,
                                              **({"light_close": True} if light else {})}})
        if not ok:
            return {"case": case_key, "outcome": "skipped", "why": "moved by another run"}
        for w in written:
            registry.record_document(conn, w, case_id=case["id"])
        cases.set_target_status(conn, case["target_type"], case["target_key"], "shutting_down")
    return {"case": case_key, "outcome": "announced", "documents": [str(w.path) for w in written],
            **({"light_close": True} if light else {}), **{k: v.isoformat() for k, v in dates.items()}}


def _prepare(engine: sa.Engine, case_key: str, *, day: dt.date, settings: Settings, actor: str) -> dict[str, Any]:
    """:func:`prepare`, with whatever building the contexts raised failing this case only (see :func:`fail`)."""
    try:
        return prepare(engine, case_key, day=day, settings=settings, actor=actor)
    except cases.CaseError:
        raise  # an unknown case key: the caller's mistake
    except Exception as exc:  # noqa: BLE001 — one case's failure, see above
        return fail(engine, case_key, exc, actor=actor)


def announce(engine: sa.Engine, case_key: str, *, day: dt.date, settings: Settings,
             actor: str = cases.SYSTEM_ACTOR) -> dict[str, Any]:
    """Announce one approved case (documents + transition). Returns what happened."""
    ready = _prepare(engine, case_key, day=day, settings=settings, actor=actor)
    if ready["outcome"] != "ready":
        return ready
    # render outside any transaction (slow); the claim keeps other runs away meanwhile
    try:
        written = _render_job(_job(ready))
    # whatever rendering raised fails this case only: claim released, reason recorded, reported
    except Exception as exc:  # noqa: BLE001
        return fail(engine, case_key, exc, actor=actor)
    return commit(engine, ready, written, day=day, settings=settings, actor=actor)


def _job(ready: dict[str, Any]) -> tuple[str, Any, Any]:
    """What a render worker needs: (case key, announcement, checklist) or (case key, closing record, None)."""
    return (ready["case"], ready["record"], None) if ready.get("light") else (ready["case"], ready["ann"], ready["chk"])


def _render_job(job: tuple[str, Any, Any]) -> list[Any]:
    case_key, first, checklist = job
    if checklist is None:  # the light path's internal closing record
        return write_closing_record(case_key, first)
    return write_documents(case_key, first, checklist)


def announce_many(engine: sa.Engine, case_keys: list[str], *, day: dt.date, settings: Settings,
                  actor: str = cases.SYSTEM_ACTOR, workers: int = 1) -> list[dict[str, Any]]:
    """Announce several cases; with ``workers > 1`` the documents render in a process pool
    (preparing and recording stay in this process, in case order)."""
    if workers <= 1 or len(case_keys) < 2:
        return [announce(engine, k, day=day, settings=settings, actor=actor) for k in case_keys]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    results: list[dict[str, Any]] = []
    ctx = multiprocessing.get_context("spawn")  # direct children: their memory is accounted
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        batch = max(workers * 8, 16)
        for start in range(0, len(case_keys), batch):
            prepared = [_prepare(engine, k, day=day, settings=settings, actor=actor)
                        for k in case_keys[start:start + batch]]
            ready = [r for r in prepared if r["outcome"] == "ready"]
            results += [r for r in prepared if r["outcome"] != "ready"]
            futures = [pool.submit(_render_job, _job(r)) for r in ready]
            for r, fut in zip(ready, futures, strict=True):
                try:
                    written = fut.result()
                # whatever the render worker raised fails this case only: released, reported, the batch goes on
                except Exception as exc:  # noqa: BLE001 — one case's failure, see above
                    results.append(fail(engine, r["case"], exc, actor=actor))
                    continue
                results.append(commit(engine, r, written, day=day, settings=settings, actor=actor))
    return results


def planned_documents(case_key: str, *, light: bool = False) -> list[str]:
    """Names of the files an announcement (``light``: an internal closing record) would write (dry run)."""
    try:
        from fingertip.documents.official import safe_file_stem
    except ImportError:  # pragma: no cover
        def safe_file_stem(key: str) -> str:
            return key
    stem = safe_file_stem(case_key)
    if light:
        return [f"cases/{case_key}/closing_record_{stem}.{ext}" for ext in ("docx", "md")]
    return [f"cases/{case_key}/announcement_{stem}.{ext}" for ext in ("docx", "pdf", "html", "md")] + \
        [f"cases/{case_key}/disposal_{stem}.{ext}" for ext in ("xlsx", "docx")]
