"""``DiscoverListingsOperator``: find store listings of government apps missing from the inventory.

Wraps :func:`fingertip.discovery.apple.discover`: Apple Lookup by developer account and Apple Search by
sponsor name, rolling through developers and sponsors within the day's share of Apple's request budget
(the ``apple_itunes`` connection, its rate limit and its pool, shared with the daily lookups) and
resuming where the last run stopped. Android feeds already list every app, so only Apple needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator


class DiscoverListingsOperator(BaseOperator):
    """Discover unregistered Apple listings for the run's day.

    :param conn_id: the Apple connection (default ``apple_itunes``). Templated.
    :param day: the day observed (``YYYY-MM-DD`` or a date; default: the run's date in Beijing time). Templated.
    :param budget: discovery requests allowed today (default: the connection's extras —
        ``discovery_requests_per_day``, or ``discovery_requests_per_app`` × inventory iOS apps, at least
        ``discovery_min_requests`` —, never more than the daily cap ``daily_requests`` leaves after the
        day's lookups). Templated; empty means the default.
    :param developer_share: share of the budget for developer lookups first (0..1; default the extra
        ``discovery_developer_share``, 0.5). Templated.
    :param min_score: minimum match score (default the extra ``discovery_min_score``, 0.6). Templated.

    The pool defaults to ``apple_itunes``. Returns the run summary (XCom ``return_value``): the budget
    and where it came from, requests used, developer accounts and sponsors covered (with the position
    and pass of each rolling order), candidates, new and confirmed unregistered listings, non-government
    sellers ignored. Skips with the reason when the store has no sponsor to discover for.
    """

    template_fields: Sequence[str] = ("conn_id", "day", "budget", "developer_share", "min_score")
    ui_color = "#e8f4ea"

    def __init__(self, *, conn_id: str | None = None, day: Any = None, budget: Any = None,
                 developer_share: Any = None, min_score: Any = None, store_conn_id: str | None = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("pool", "apple_itunes")
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.day = day
        self.budget = budget
        self.developer_share = developer_share
        self.min_score = min_score
        self.store_conn_id = store_conn_id

    @staticmethod
    def _number(value: Any, name: str, kind: type) -> Any:
        from airflow.sdk.exceptions import AirflowFailException

        from fingertip.operators._values import is_empty

        if is_empty(value):
            return None
        try:
            return kind(str(value).strip())
        except ValueError:
            raise AirflowFailException(f"{name} must be a number, got {value!r}") from None

    def execute(self, context: Any) -> dict[str, Any]:
        import sqlalchemy as sa
        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

        from fingertip.discovery.apple import discover
        from fingertip.hooks.apple import AppleLookupHook
        from fingertip.hooks.store import StoreHook
        from fingertip.operators._values import as_date
        from fingertip.runtime import interval_day
        from fingertip.store import schema

        try:
            day = as_date(self.day, name="day") or interval_day(dict(context))
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from None
        budget = self._number(self.budget, "budget", int)
        share = self._number(self.developer_share, "developer_share", float)
        min_score = self._number(self.min_score, "min_score", float)
        if budget is not None and budget < 0:
            raise AirflowFailException(f"budget must be at least 0, got {budget}")
        if share is not None and not 0 <= share <= 1:
            raise AirflowFailException(f"developer_share must be within 0..1, got {share}")
        engine = (StoreHook(self.store_conn_id) if self.store_conn_id else StoreHook()).get_engine()
        with engine.connect() as conn:
            sponsors = conn.execute(sa.select(sa.func.count()).select_from(schema.sponsors)).scalar_one()
        if not sponsors:
            raise AirflowSkipException("nothing to discover: the store has no sponsoring unit (import an inventory first)")
        summary = discover(engine, AppleLookupHook(self.conn_id or None), day=day, budget=budget,
                           developer_share=share, min_score=min_score)
        self.log.info("discovery covered: %s", summary["covered"])
        return summary
