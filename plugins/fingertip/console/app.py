"""The governance console: a FastAPI app mounted by :class:`fingertip.plugin.FingertipPlugin` at ``/fingertip``.

* ``/fingertip/api/…`` — the JSON API (OpenAPI at ``/fingertip/openapi.json``, docs at ``/fingertip/docs``):
  ``summary``, lists (``findings``, ``entities``, ``cases``, ``batches``, ``quarantine``, ``reports``,
  ``documents``) with filters as query parameters, ``sort`` (``-`` for descending), ``page``,
  ``page_size`` and the answer ``{"total": N, "items": [...]}``; single records; the finding actions
  (``acknowledge``, ``waive``, ``revoke``), recorded with the logged-in Airflow user; every list as
  ``/fingertip/api/export/<list>.xlsx|.csv`` with the same filters.
* ``/fingertip/…`` — server-rendered pages (Jinja2, autoescape, every value neutralised), listed in
  Airflow's navigation through the plugin's ``external_views``.
* ``/fingertip/files/<path>`` — downloads from the outputs location only.

Every route depends on :mod:`fingertip.console.security` (Airflow's auth manager); the store is read
through the store layer's engine (:class:`fingertip.hooks.store.StoreHook`).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from fingertip import config
from fingertip.text import neutralise

from . import files, queries
from .export import to_csv, to_xlsx
from .security import CSRF_HEADER, Editor, Reader, csrf_token, user_name
from .timefmt import beijing, zone

log = logging.getLogger(__name__)

URL_PREFIX = "/fingertip"
RESERVED_PARAMS = ("sort", "page", "page_size")


# -- store access ------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _engine_for(url: str) -> sa.Engine:
    from fingertip.store.engine import create_store_engine

    return create_store_engine(url)


def engine() -> sa.Engine:
    """The store's engine, opened once per store URL (resolved by the store layer on every call)."""
    from fingertip.hooks.store import StoreHook

    return _engine_for(StoreHook().get_uri())


@contextlib.contextmanager
def _conn() -> Iterator[sa.Connection]:
    with engine().connect() as conn:
        yield conn


def _one(missing: str, lookup: Any, *key: Any) -> Any:
    """One record by its key from the store, or 404 with ``missing``."""
    with _conn() as conn:
        item = lookup(conn, *key)
    if item is None:
        raise HTTPException(404, missing)
    return item


#: The overview aggregates the whole inventory (an index-only pass over every entity, inspection and
#: finding): within one api-server process its figures are reused for SUMMARY_TTL_SECONDS; older ones
#: are still served at once while one background thread recomputes them (stale-while-revalidate),
#: up to SUMMARY_MAX_AGE_SECONDS, after which the visitor waits for fresh figures. The console's own
#: actions mark them stale. The page shows when its figures were computed.
SUMMARY_TTL_SECONDS = 30.0
SUMMARY_MAX_AGE_SECONDS = 600.0
_summary_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_summary_lock = threading.Lock()
_refreshing: set[str] = set()


def _compute_summary(url: str) -> dict[str, Any]:
    with _engine_for(url).connect() as conn:
        data = queries.summary(conn)
    data["computed_at"] = dt.datetime.now(dt.UTC)
    _summary_cache[url] = (time.monotonic(), data)
    return data


def _refresh_in_background(url: str) -> None:
    with _summary_lock:
        if url in _refreshing:
            return
        _refreshing.add(url)

    def run() -> None:
        try:
            _compute_summary(url)
        except Exception:  # noqa: BLE001 - logged; the next visitor recomputes synchronously
            log.exception("recomputing the console overview failed")
            _summary_cache.pop(url, None)
        finally:
            _refreshing.discard(url)

    threading.Thread(target=run, name="fingertip-console-summary", daemon=True).start()


def summary(*, fresh: bool = False) -> dict[str, Any]:
    """:func:`queries.summary` of the current store (see :data:`SUMMARY_TTL_SECONDS`)."""
    from fingertip.hooks.store import StoreHook

    url = StoreHook().get_uri()
    hit = _summary_cache.get(url)
    if hit and not fresh:
        age = time.monotonic() - hit[0]
        if age < SUMMARY_MAX_AGE_SECONDS:
            if age >= SUMMARY_TTL_SECONDS:
                _refresh_in_background(url)
            return copy.deepcopy(hit[1])
    return copy.deepcopy(_compute_summary(url))


def forget_summary() -> None:
    """Mark the overview's figures stale (recomputed in the background on the next visit)."""
    for url, (_stamp, data) in list(_summary_cache.items()):
        _summary_cache[url] = (time.monotonic() - SUMMARY_TTL_SECONDS, data)


def drop_summary() -> None:
    """Forget the overview's figures entirely (the next visit recomputes them while it waits)."""
    _summary_cache.clear()


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _json(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(json.loads(json.dumps(data, default=_json_default, ensure_ascii=False)),
                        status_code=status_code)


def _filters(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in RESERVED_PARAMS}


def _spec(name: str, kind: str | None = None) -> queries.ListSpec:
    if name == "entities":
        spec = queries.ENTITIES.get(kind or "app")
    else:
        spec = queries.LISTS.get(name)
    if spec is None:
        raise HTTPException(404, f"没有这个列表: {name}")
    return spec


def _page(request: Request, spec: queries.ListSpec, page: int, page_size: int, sort: str | None,
          drop: tuple[str, ...] = ()) -> queries.Page:
    params = {k: v for k, v in _filters(request).items() if k not in drop}
    try:
        with _conn() as conn:
            return queries.list_page(conn, spec, params, sort=sort, page=page, page_size=page_size)
    except queries.QueryError as exc:
        raise HTTPException(422, str(exc)) from None


PageArg = Annotated[int, Query(ge=1, description="页码，从 1 开始")]
SizeArg = Annotated[int, Query(ge=1, le=queries.MAX_PAGE_SIZE, description="每页条数")]
SortArg = Annotated[str | None, Query(description="排序字段，前加 - 为降序")]


class ListAnswer(BaseModel):
    total: int
    items: list[dict[str, Any]]
    page: int
    page_size: int
    sort: str


class WaiveBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="豁免理由")
    approver: str = Field(min_length=1, max_length=100, description="审批人")
    expires_on: dt.date = Field(description="到期日（北京时间，当日 24 时到期）")


def _list_answer(p: queries.Page) -> JSONResponse:
    return _json({"total": p.total, "items": p.items, "page": p.page, "page_size": p.page_size, "sort": p.sort})


def create_app() -> FastAPI:
    app = FastAPI(title="Fingertip governance console", version="1",
                  description="指尖上的形式主义治理台：清单、问题、案件、报告与质量。所有接口需 Airflow 登录。")
    _api_routes(app)
    _page_routes(app)
    return app


# -- API -------------------------------------------------------------------------------------------
def _api_routes(app: FastAPI) -> None:  # noqa: C901 - one flat list of small route functions
    @app.get("/api/summary", tags=["overview"])
    def api_summary(_user: Reader) -> JSONResponse:
        """Inventory, pass rates with trend, open findings by article and rule, cases by state, DAG runs."""
        data = summary()
        data["dag_runs"] = last_dag_runs()
        return _json(data)

    @app.get("/api/findings", tags=["findings"], response_model=ListAnswer)
    def api_findings(request: Request, _user: Reader, page: PageArg = 1, page_size: SizeArg = 50,
                     sort: SortArg = None, province: str | None = None, division: str | None = None,
                     sponsor: str | None = None, rule: str | None = None, article: str | None = None,
                     severity: str | None = None, state: str | None = None, target_type: str | None = None,
                     target_key: str | None = None, date_from: str | None = None,
                     date_to: str | None = None) -> JSONResponse:
        """Findings, filtered by province/division, sponsor, rule, article, severity, state, target, date."""
        return _list_answer(_page(request, queries.FINDINGS, page, page_size, sort))

    @app.get("/api/findings/{finding_id}", tags=["findings"])
    def api_finding(finding_id: str, _user: Reader) -> JSONResponse:
        item = _one("没有这个问题", queries.finding, finding_id)
        item["history"] = queries.finding_history(item)
        return _json(item)

    @app.post("/api/findings/{finding_id}/acknowledge", tags=["findings"])
    def api_acknowledge(finding_id: str, user: Editor) -> JSONResponse:
        """open → acknowledged, recorded with the logged-in Airflow user."""
        from fingertip.rules import findings as lifecycle

        try:
            lifecycle.acknowledge(engine(), finding_id, by=user_name(user))
        except lifecycle.FindingStateError as exc:
            raise HTTPException(409, str(exc)) from None
        forget_summary()
        return api_finding(finding_id, user)

    @app.post("/api/findings/{finding_id}/waive", tags=["findings"])
    def api_waive(finding_id: str, body: Annotated[WaiveBody, Body()], user: Editor) -> JSONResponse:
        """A time-limited exemption (reason, approver, expiry); the granting user is logged."""
        from fingertip.rules import findings as lifecycle

        end = dt.datetime.combine(body.expires_on + dt.timedelta(days=1), dt.time(), tzinfo=zone())
        expires = end.astimezone(dt.UTC).replace(tzinfo=None)
        try:
            lifecycle.waive(engine(), finding_id, reason=neutralise(body.reason, multiline=True),
                            approver=neutralise(body.approver), expires_at=expires, by=user_name(user))
        except lifecycle.FindingStateError as exc:
            raise HTTPException(409, str(exc)) from None
        forget_summary()
        log.info("finding %s waived by %s until %s", finding_id, user_name(user), body.expires_on)
        return api_finding(finding_id, user)

    @app.post("/api/findings/{finding_id}/revoke", tags=["findings"])
    def api_revoke(finding_id: str, user: Editor) -> JSONResponse:
        """Revoke the finding's waivers; it reopens."""
        from fingertip.rules import findings as lifecycle

        with _conn() as conn:
            if queries.finding(conn, finding_id) is None:
                raise HTTPException(404, "没有这个问题")
        n = lifecycle.revoke_waivers(engine(), finding_id, by=user_name(user))
        if not n:
            raise HTTPException(409, "该问题没有生效的豁免")
        forget_summary()
        log.info("waivers of finding %s revoked by %s", finding_id, user_name(user))
        return api_finding(finding_id, user)

    @app.get("/api/entities", tags=["entities"], response_model=ListAnswer)
    def api_entities(request: Request, _user: Reader, type: str = "app", page: PageArg = 1,  # noqa: A002
                     page_size: SizeArg = 50, sort: SortArg = None) -> JSONResponse:
        """Apps (``type=app``), accounts or work groups; filters province, division, sponsor, status, kind/platform."""
        return _list_answer(_page(request, _spec("entities", type), page, page_size, sort, drop=("type",)))

    @app.get("/api/entities/{kind}/{key}", tags=["entities"])
    def api_entity(kind: str, key: str, _user: Reader) -> JSONResponse:
        try:
            with _conn() as conn:
                item = queries.entity(conn, kind, key)
        except queries.QueryError as exc:
            raise HTTPException(422, str(exc)) from None
        if item is None:
            raise HTTPException(404, "没有这个对象")
        return _json(item)

    @app.get("/api/cases", tags=["cases"], response_model=ListAnswer)
    def api_cases(request: Request, _user: Reader, page: PageArg = 1, page_size: SizeArg = 50,
                  sort: SortArg = None, state: str | None = None, target_type: str | None = None) -> JSONResponse:
        return _list_answer(_page(request, queries.CASES, page, page_size, sort))

    @app.get("/api/cases/{case_key}", tags=["cases"])
    def api_case(case_key: str, _user: Reader) -> JSONResponse:
        item = _one("没有这个案件", queries.case, case_key)
        return _json(item)

    @app.get("/api/batches", tags=["quality"], response_model=ListAnswer)
    def api_batches(request: Request, _user: Reader, page: PageArg = 1, page_size: SizeArg = 50,
                    sort: SortArg = None, status: str | None = None) -> JSONResponse:
        return _list_answer(_page(request, queries.BATCHES, page, page_size, sort))

    @app.get("/api/batches/{batch_id}", tags=["quality"])
    def api_batch(batch_id: int, _user: Reader) -> JSONResponse:
        item = _one("没有这个批次", queries.batch, batch_id)
        return _json(item)

    @app.get("/api/quarantine", tags=["quality"], response_model=ListAnswer)
    def api_quarantine(request: Request, _user: Reader, page: PageArg = 1, page_size: SizeArg = 50,
                       sort: SortArg = None, batch: int | None = None) -> JSONResponse:
        return _list_answer(_page(request, queries.QUARANTINE, page, page_size, sort))

    @app.get("/api/reports", tags=["reports"], response_model=ListAnswer)
    def api_reports(request: Request, _user: Reader, page: PageArg = 1, page_size: SizeArg = 50,
                    sort: SortArg = None, kind: str | None = None) -> JSONResponse:
        """Periodic reports, self-inspections, ad-hoc audits and detection runs (``audit_runs``)."""
        return _list_answer(_page(request, queries.AUDITS, page, page_size, sort))

    @app.get("/api/reports/{run_id}", tags=["reports"])
    def api_report(run_id: int, _user: Reader) -> JSONResponse:
        item = _one("没有这次运行", queries.audit, run_id)
        return _json(item)

    @app.get("/api/documents", tags=["reports"], response_model=ListAnswer)
    def api_documents(request: Request, _user: Reader, page: PageArg = 1, page_size: SizeArg = 50,
                      sort: SortArg = None) -> JSONResponse:
        return _list_answer(_page(request, queries.DOCUMENTS, page, page_size, sort))

    @app.get("/api/documents/{doc_id}/download", tags=["reports"])
    def api_document_download(doc_id: int, _user: Reader) -> Response:
        with _conn() as conn:
            doc = queries.document(conn, doc_id)
        if doc is None:
            raise HTTPException(404, "没有这个文书")
        try:
            rel = files.relative_to_root(doc["path"])
        except files.RefusedPath:
            raise HTTPException(403, "文书不在输出目录中，拒绝下载") from None
        return _serve(rel)

    @app.get("/api/export/{name}.{fmt}", tags=["export"])
    def api_export(name: str, fmt: str, request: Request, _user: Reader, sort: SortArg = None) -> Response:
        """Every list as XLSX or CSV, with the list's filters as query parameters (entities: ``type``)."""
        params = _filters(request)
        spec = _spec(name, params.pop("type", None))
        try:
            with _conn() as conn:
                rows = queries.list_all(conn, spec, params, sort=sort)
        except queries.QueryError as exc:
            raise HTTPException(422, str(exc)) from None
        stamp = dt.datetime.now(zone()).strftime("%Y%m%d-%H%M")
        if fmt == "csv":
            body, media = to_csv(spec.columns, spec.labels, rows), "text/csv; charset=utf-8"
        elif fmt == "xlsx":
            body = to_xlsx(spec.name, spec.columns, spec.labels, rows)
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            raise HTTPException(404, "导出格式应为 xlsx 或 csv")
        return Response(body, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="fingertip-{spec.name}-{stamp}.{fmt}"',
            "X-Content-Type-Options": "nosniff"})

    @app.get("/files/{rel:path}", tags=["files"])
    def download(rel: str, _user: Reader) -> Response:
        """A file under the outputs location (documents, reports, rejection reports, Data Docs)."""
        return _serve(rel)


def _serve(rel: str) -> Response:
    try:
        fh, size = files.open_output(rel)
    except files.RefusedPath:
        raise HTTPException(403, "只能下载输出目录中的文件") from None
    except FileNotFoundError:
        raise HTTPException(404, "文件不存在") from None
    media, headers = files.headers_for(rel)
    if size is not None:
        headers["Content-Length"] = str(size)
    return StreamingResponse(files.iter_file(fh), media_type=media, headers=headers)


def last_dag_runs() -> list[dict[str, Any]]:
    """The last run of each DAG from Airflow's metadata database (empty outside an Airflow deployment)."""
    try:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
    except ImportError:
        return []
    try:
        with create_session() as session:
            latest = (sa.select(DagRun.dag_id, sa.func.max(DagRun.id).label("id"))
                      .group_by(DagRun.dag_id).subquery())
            rows = session.execute(sa.select(DagRun.dag_id, DagRun.run_id, DagRun.state, DagRun.run_after,
                                             DagRun.end_date).join(latest, DagRun.id == latest.c.id)
                                   .order_by(DagRun.dag_id)).all()
    except sa.exc.SQLAlchemyError as exc:  # the metadata DB is the api-server's own; report, do not fail
        log.warning("cannot read the last DAG runs: %s", exc)
        return []
    return [{"dag_id": r.dag_id, "run_id": r.run_id, "state": str(r.state), "run_after": r.run_after,
             "end_date": r.end_date} for r in rows]


# -- pages -----------------------------------------------------------------------------------------
STATE_ZH = {"open": "待处理", "acknowledged": "已认领", "resolved": "已解决", "waived": "已豁免",
            "proposed": "待审批", "approved": "已批准", "rejected": "已驳回", "announced": "已公告",
            "service_stopped": "已停止服务", "data_disposed": "数据已处置", "delisting_verified": "下架已核验",
            "closed": "已关闭", "cancelled": "已撤销", "staged": "已暂存", "validated": "已校验",
            "promoted": "已入库", "running": "运行中", "succeeded": "成功", "failed": "失败", "success": "成功",
            "queued": "排队", "sent": "已发送", "sending": "发送中", "active": "在用", "shutting_down": "关停中"}
KIND_ZH = {"app": "移动应用", "account": "公众账号", "work_group": "工作群组", "sponsor": "主办单位",
           "listing": "商店条目", "mini_program": "小程序", "quick_app": "快应用"}
LEVEL_ZH = {"central": "中央", "provincial": "省级", "prefectural": "地市级", "county": "县级", "township": "乡镇级"}
#: Kinds of the registered documents (``documents.doc_kind``) as a page shows them.
DOC_KIND_ZH = {"announcement": "关停公告", "disposal_checklist": "数据处置清单", "closing_record": "内部解散记录",
               "report": "报告", "quality_rejection_report": "数据质量退回报告"}
SEVERITY_ZH = {"critical": "严重", "high": "高", "major": "较重", "medium": "中", "minor": "轻微", "low": "低",
               "info": "提示"}


def _finalize(value: Any) -> Any:
    """Every value a template prints: datetimes in Beijing time, text without control/bidi characters."""
    from markupsafe import Markup

    if value is None:
        return ""
    if isinstance(value, Markup):  # already-escaped output of a macro or block
        return value
    if isinstance(value, dt.datetime):
        return beijing(value)
    if isinstance(value, str):
        return neutralise(value, multiline=True)
    return value


@functools.lru_cache(maxsize=1)
def templates() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(config.resource("console"))),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      finalize=_finalize, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["zh"] = lambda v, table: table.get(v, v) if isinstance(v, str) else v
    env.filters["bj"] = beijing
    env.filters["pct"] = lambda v: "—" if v is None else f"{v * 100:.1f}%"
    env.filters["tojson_safe"] = lambda v: json.dumps(v, default=_json_default, ensure_ascii=True)
    env.globals.update(STATE_ZH=STATE_ZH, KIND_ZH=KIND_ZH, DOC_KIND_ZH=DOC_KIND_ZH, LEVEL_ZH=LEVEL_ZH, SEVERITY_ZH=SEVERITY_ZH)
    return env


def _render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    base = str(request.scope.get("root_path") or URL_PREFIX).rstrip("/")

    def page_url(**changes: Any) -> str:
        params = dict(request.query_params)
        params.update({k: v for k, v in changes.items()})
        params = {k: v for k, v in params.items() if v not in (None, "")}
        return "?" + urlencode(params)

    html = templates().get_template(name).render(
        base=base, request_path=request.url.path, params=dict(request.query_params), page_url=page_url,
        csrf=csrf_token(request), csrf_header=CSRF_HEADER, now=beijing(dt.datetime.now(dt.UTC)),
        export_query=urlencode({k: v for k, v in request.query_params.items() if k not in ("page", "page_size")}),
        **ctx)
    return HTMLResponse(html, status_code=status_code, headers={
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                   "script-src 'self' 'unsafe-inline'; frame-ancestors 'self'",
        "X-Content-Type-Options": "nosniff"})


STATIC = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}


def _page_routes(app: FastAPI) -> None:  # noqa: C901 - one flat list of small page functions
    @app.exception_handler(HTTPException)
    async def _errors(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith((URL_PREFIX + "/api/", "/api/", URL_PREFIX + "/files/", "/files/")):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return _render(request, "error.html", status_code=exc.status_code, code=exc.status_code,
                       detail=str(exc.detail), title="出错了")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str, _user: Reader) -> Response:
        media = STATIC.get(name)
        if media is None:
            raise HTTPException(404, "没有这个文件")
        body = config.resource("console", "static", name).read_bytes()
        return Response(body, media_type=media, headers={"Cache-Control": "private, max-age=300",
                                                         "X-Content-Type-Options": "nosniff"})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview(request: Request, _user: Reader) -> HTMLResponse:
        return _render(request, "overview.html", title="总览", data=summary(), dag_runs=last_dag_runs())

    @app.get("/findings", response_class=HTMLResponse, include_in_schema=False)
    def findings_page(request: Request, _user: Reader, page: PageArg = 1, page_size: SizeArg = 50,
                      sort: SortArg = None) -> HTMLResponse:
        p = _page(request, queries.FINDINGS, page, page_size, sort)
        return _render(request, "findings.html", title="问题", page=p, spec=queries.FINDINGS)

    @app.get("/findings/{ref}", response_class=HTMLResponse, include_in_schema=False)
    def finding_page(request: Request, ref: str, user: Reader) -> Response:
        day = ref.removesuffix("-dry-run")
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            pass
        else:  # the detection task's output link: that day's findings
            return _render(request, "findings.html", title="问题", spec=queries.FINDINGS,
                           page=_page_for(request, queries.FINDINGS, {"date_from": day, "date_to": day}),
                           outputs=files.list_folder(f"findings/{ref}"))
        item = _one("没有这个问题", queries.finding, ref)
        return _render(request, "finding.html", title="问题详情", item=item,
                       history=queries.finding_history(item), can_edit=_can_edit(user),
                       evidence=json.dumps(item["evidence"], ensure_ascii=False, indent=2, default=str))

    @app.get("/entities", response_class=HTMLResponse, include_in_schema=False)
    def entities_page(request: Request, _user: Reader, type: str = "app", page: PageArg = 1,  # noqa: A002
                      page_size: SizeArg = 50, sort: SortArg = None) -> HTMLResponse:
        spec = _spec("entities", type)
        p = _page(request, spec, page, page_size, sort, drop=("type",))
        return _render(request, "entities.html", title="清单", page=p, spec=spec, kind=type)

    @app.get("/entities/{kind}/{key}", response_class=HTMLResponse, include_in_schema=False)
    def entity_page(request: Request, kind: str, key: str, _user: Reader) -> HTMLResponse:
        try:
            with _conn() as conn:
                item = queries.entity(conn, kind, key)
        except queries.QueryError as exc:
            raise HTTPException(422, str(exc)) from None
        if item is None:
            raise HTTPException(404, "没有这个对象")
        return _render(request, "entity.html", title="对象", item=item, chart=_snapshot_chart(item["snapshots"]))

    @app.get("/cases", response_class=HTMLResponse, include_in_schema=False)
    def cases_page(request: Request, _user: Reader, page: PageArg = 1, page_size: SizeArg = 50,
                   sort: SortArg = None) -> HTMLResponse:
        p = _page(request, queries.CASES, page, page_size, sort)
        with _conn() as conn:
            board = queries.summary_cases(conn)
        return _render(request, "cases.html", title="案件", page=p, spec=queries.CASES, board=board)

    @app.get("/cases/{case_key}", response_class=HTMLResponse, include_in_schema=False)
    def case_page(request: Request, case_key: str, _user: Reader) -> HTMLResponse:
        item = _one("没有这个案件", queries.case, case_key)
        return _render(request, "case.html", title="案件详情", item=item, hitl_url=_required_action_url(item),
                       outputs=files.list_folder(f"cases/{case_key}"))

    @app.get("/quality", response_class=HTMLResponse, include_in_schema=False)
    def quality_page(request: Request, _user: Reader, page: PageArg = 1, page_size: SizeArg = 50,
                     sort: SortArg = None) -> HTMLResponse:
        p = _page(request, queries.BATCHES, page, page_size, sort)
        docs = files.list_folder("/".join(files.DATA_DOCS))
        index = next((d["path"] for d in docs if d["name"] == "index.html"), None)
        return _render(request, "quality.html", title="数据质量", page=p, spec=queries.BATCHES, data_docs=index)

    @app.get("/quality/{ref}", response_class=HTMLResponse, include_in_schema=False)
    def batch_page(request: Request, ref: str, _user: Reader, page: PageArg = 1, page_size: SizeArg = 50,
                   sort: SortArg = None) -> HTMLResponse:
        item = None
        if ref.isascii() and ref.isdigit():  # a batch id; "１２" (full-width) is not batch 12
            with _conn() as conn:
                item = queries.batch(conn, int(ref))
        quarantine = _page_for(request, queries.QUARANTINE, {"batch": ref}) if item else None
        outputs = files.list_folder(f"quality/{ref}") if _plain_ref(ref) else []
        if item is None and not outputs:
            raise HTTPException(404, "没有这个批次")
        return _render(request, "batch.html", title="导入批次", item=item, ref=ref, quarantine=quarantine,
                       spec=queries.QUARANTINE, outputs=outputs)

    @app.get("/reports", response_class=HTMLResponse, include_in_schema=False)
    def reports_page(request: Request, _user: Reader, page: PageArg = 1, page_size: SizeArg = 50,
                     sort: SortArg = None) -> HTMLResponse:
        p = _page(request, queries.AUDITS, page, page_size, sort)
        return _render(request, "reports.html", title="报告与审计", page=p, spec=queries.AUDITS,
                       archive=_archive(), trigger_url=_trigger_url())

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, run_id: int, _user: Reader) -> HTMLResponse:
        item = _one("没有这次运行", queries.audit, run_id)
        return _render(request, "run.html", title="报告与审计运行", item=item,
                       summary_json=json.dumps(item["run"].get("summary") or {}, ensure_ascii=False, indent=2,
                                               default=str)[:20000])

    @app.get("/reports/{ref:path}", response_class=HTMLResponse, include_in_schema=False)
    def report_folder(request: Request, ref: str, _user: Reader) -> HTMLResponse:
        return _folder_page(request, f"reports/{ref}")

    @app.get("/audits/{ref:path}", response_class=HTMLResponse, include_in_schema=False)
    def audit_folder(request: Request, ref: str, _user: Reader) -> HTMLResponse:
        return _folder_page(request, f"audits/{ref}")


def _plain_ref(ref: str) -> bool:
    try:
        files.clean_parts(ref)
    except files.RefusedPath:
        return False
    return True


def _folder_page(request: Request, rel: str) -> HTMLResponse:
    try:
        listing = files.list_folder(rel)
    except files.RefusedPath:
        raise HTTPException(403, "只能浏览输出目录") from None
    if not listing:
        raise HTTPException(404, "这里没有输出文件")
    return _render(request, "folder.html", title="输出文件", rel=rel, outputs=listing)


def _page_for(request: Request, spec: queries.ListSpec, fixed: Mapping[str, str]) -> queries.Page:
    q = request.query_params
    try:
        page, size = int(q.get("page") or 1), int(q.get("page_size") or 50)
        with _conn() as conn:
            return queries.list_page(conn, spec, dict(fixed), sort=q.get("sort"), page=page, page_size=size)
    except (queries.QueryError, ValueError) as exc:
        raise HTTPException(422, str(exc)) from None


def _can_edit(user: Any) -> bool:
    from .security import _authorised

    return _authorised(user, "PUT")


def _archive() -> list[dict[str, Any]]:
    out = []
    for top in ("reports", "audits"):
        try:
            out += files.list_folder(top)
        except files.RefusedPath:  # pragma: no cover - constant paths
            continue
    return out[:500]


#: The ad-hoc audit DAG and the shutdown-cases DAG (their approval task) in ``dags/``.
ADHOC_AUDIT_DAG = "adhoc_audit"
CASES_DAG = "shutdown_cases"


def ui_url(*parts: str) -> str:
    """A page of Airflow's own UI on the same api-server (relative URL, each part quoted)."""
    from urllib.parse import quote

    return "/" + "/".join(quote(str(p), safe="") for p in parts)


def _trigger_url() -> str:
    """The ad-hoc audit DAG's page in Airflow's UI, whose "Trigger" button opens the form with its params."""
    return ui_url("dags", ADHOC_AUDIT_DAG)


def _required_action_url(item: Mapping[str, Any]) -> str | None:
    """Where the case's approval is answered: the Required Actions of the run that asked (when pending)."""
    approval = (item["case"].get("details") or {}).get("approval") or {}
    if item["case"]["state"] != "proposed":
        return None
    run_id = approval.get("run_id")
    if approval.get("status") == "pending" and run_id:
        return ui_url("dags", CASES_DAG, "runs", str(run_id), "required_actions")
    return "/required_actions?response_received=false"


def _snapshot_chart(snapshots: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Points of the downloads/rating history, oldest first, scaled for an inline SVG polyline."""
    per_day: dict[Any, int] = {}
    for s in snapshots:  # all listings of the app added up per day
        if s.get("downloads") is not None:
            per_day[s["snapshot_date"]] = per_day.get(s["snapshot_date"], 0) + int(s["downloads"])
    pts = sorted(per_day.items())
    if len(pts) < 2:
        return None
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    span = (hi - lo) or 1
    w, h = 600, 120
    step = w / (len(pts) - 1)
    coords = " ".join(f"{i * step:.1f},{h - (v - lo) / span * (h - 10) - 5:.1f}" for i, (_, v) in enumerate(pts))
    return {"points": coords, "first": pts[0][0], "last": pts[-1][0], "lo": lo, "hi": hi, "width": w, "height": h}
