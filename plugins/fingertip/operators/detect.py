"""``DetectFindingsOperator``: run the policy rules on the store (wraps :func:`fingertip.rules.tasks.run_detection`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from fingertip.links import FingertipOutputLink


class DetectFindingsOperator(BaseOperator):
    """Detect findings and inspection scores for one check date.

    :param check_date: the day to check (``date`` or ``YYYY-MM-DD``; templated). Empty: the run's
        date in Beijing time (:func:`fingertip.runtime.interval_day`).
    :param dry_run: list what would be flagged and why; nothing is stored (templated; ``"True"``
        from a rendered template is understood).
    :param families: rule families to run (list, JSON/Python list text or ``a,b``; templated).
        Empty: every family.
    :param skip_dry_run: raise ``AirflowSkipException`` after a dry run (so downstream tasks that
        publish an asset skip). Default ``False``: the summary is returned either way.

    Returns the detection summary (``check_date``, ``findings``, ``pass_rate``, ``changes``,
    ``dry_run``, ``outputs``) plus ``output`` — ``findings/<date>[-dry-run]``, the folder the
    "Fingertip output" link opens.
    """

    # the dry-run flag is kept as ``dry_run_mode``: ``BaseOperator.dry_run`` is a method
    template_fields: Sequence[str] = ("check_date", "dry_run_mode", "families")
    operator_extra_links = (FingertipOutputLink(),)
    ui_color = "#fde2e4"

    def __init__(self, *, check_date: Any = None, dry_run: Any = False, families: Any = None,
                 skip_dry_run: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_date = check_date
        self.dry_run_mode = dry_run
        self.families = families
        self.skip_dry_run = skip_dry_run

    def execute(self, context: Any) -> dict[str, Any]:
        from fingertip.links import with_output
        from fingertip.operators._values import as_bool, as_date, as_list
        from fingertip.rules.catalogue import FAMILIES
        from fingertip.rules.tasks import run_detection
        from fingertip.runtime import interval_day, store_engine

        day = as_date(self.check_date, name="check_date") or interval_day(context)
        dry_run = as_bool(self.dry_run_mode, name="dry_run")
        families = [str(f) for f in as_list(self.families, name="families")]
        unknown = sorted(set(families) - set(FAMILIES))
        if unknown:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(f"未知规则类别 {unknown} / unknown rule families {unknown} "
                                       f"(known: {', '.join(FAMILIES)})")
        summary = run_detection(store_engine(), check_date=day, dry_run=dry_run, families=families or None)
        result = with_output(summary, "findings", day.isoformat() + ("-dry-run" if dry_run else ""))
        if dry_run and self.skip_dry_run:
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException("dry run: nothing was stored")
        return result
