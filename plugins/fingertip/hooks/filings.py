"""ICP/APP filing registry hook (MIIT fields; a provider's feed, as MIIT has no open API)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from fingertip.hooks.paged import PagedFeedHook
from fingertip.sources import coerce
from fingertip.sources.records import Batch, FilingRecord
from fingertip.store.schema import APP_KINDS, FILING_KINDS

_TYPE_WORDS = {"app": "app", "APP": "app", "应用": "app", "mini_program": "mini_program", "小程序": "mini_program",
               "quick_app": "quick_app", "快应用": "quick_app"}
_STATUS_WORDS = {"active": "active", "正常": "active", "有效": "active", "cancelled": "cancelled", "已注销": "cancelled",
                 "注销": "cancelled", "撤销": "cancelled"}


def parse_filing(item: Mapping[str, Any], kind: str = "icp_app") -> tuple[str, FilingRecord]:
    """One MIIT-style record (``unitName``, ``serviceLicence`` …) → :class:`FilingRecord`."""
    licence = coerce.text(item.get("serviceLicence"))
    try:  # names verbatim; one with a control/bidi character rejects the record with the reason
        sponsor = coerce.name(item.get("unitName"))
        service = coerce.name(item.get("serviceName"))
    except coerce.ForbiddenCharacters as exc:
        raise ValueError(f"unitName/serviceName: {exc.reason_zh}") from None
    service_type = _TYPE_WORDS.get(coerce.text(item.get("serviceType")) or "")
    missing = [k for k, v in (("serviceLicence", licence), ("unitName", sponsor), ("serviceName", service))
               if not v]
    if missing or licence is None or sponsor is None or service is None:
        raise ValueError(f"record without {', '.join(missing)}")
    if service_type not in APP_KINDS:
        raise ValueError(f"unknown serviceType {item.get('serviceType')!r}")
    kind = coerce.text(item.get("kind")) or kind
    if kind not in FILING_KINDS:
        raise ValueError(f"unknown filing kind {kind!r}")
    status = _STATUS_WORDS.get(coerce.text(item.get("status")) or "active")
    if status is None:
        raise ValueError(f"unknown status {item.get('status')!r}")
    record = FilingRecord(
        filing_kind=kind, service_licence=licence, main_licence=coerce.text(item.get("mainLicence")),
        sponsor_name=sponsor, sponsor_nature=coerce.text(item.get("natureName")),
        sponsor_credit_code=(coerce.text(item.get("creditCode")) or "").upper() or None,
        service_name=service, service_type=service_type, reviewed_at=None, access_restricted=False,
        status=status,
    )
    try:
        record.reviewed_at = coerce.to_datetime(item.get("updateRecordTime"))
    except coerce.CoercionError:
        record.problems.append("updateRecordTime")
    try:
        record.access_restricted = bool(coerce.to_bool(item.get("limitAccess")))
    except coerce.CoercionError:
        record.problems.append("limitAccess")
    return f"{kind}:{licence}", record


class FilingRegistryHook(PagedFeedHook):
    """``GET /filings/v1/records?kind=…&province=…|credit_code=…|sponsor_name=…|licence=…``.

    Connection type ``fingertip_filing_registry`` (default id ``filing_registry``). Extras: ``page_size``
    (default 500), ``requests_per_minute``, ``gov_app_feed`` (boolean, default true: the ingest DAG also
    reads the national government-app filings), plus the common ones of :mod:`fingertip.hooks.http`.
    """

    default_conn_name = "filing_registry"
    conn_type = "fingertip_filing_registry"
    hook_name = "ICP/APP filing registry"

    def records(self, *, kind: str = "icp_app", province: str | None = None, credit_code: str | None = None,
                sponsor_name: str | None = None, licence: str | None = None) -> Iterator[Batch]:
        if kind not in FILING_KINDS:
            raise ValueError(f"unknown filing kind {kind!r}")
        params = {"kind": kind, "province": province, "credit_code": credit_code, "sponsor_name": sponsor_name,
                  "licence": licence}
        params = {k: v for k, v in params.items() if v}
        yield from self.iter_pages("/filings/v1/records", params, parse=lambda item: parse_filing(item, kind))
