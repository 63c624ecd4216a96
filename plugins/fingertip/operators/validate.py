"""``ValidateInventoryOperator``: the quality gate of one staged inventory batch (wraps
:func:`fingertip.quality.validate.validate_batch`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from fingertip.links import FingertipOutputLink

#: Airflow Variable with the allowed share of bad rows (e.g. ``0.1``).
MAX_BAD_SHARE_VARIABLE = "fingertip_quality_max_bad_share"


class ValidateInventoryOperator(BaseOperator):
    """Validate, gate and (when it passes) promote one staged import batch. Idempotent.

    :param batch: the import batch — its id, or a dict with ``batch_id`` as
        :func:`fingertip.quality.validate.pending_batches` returns (templated; map over the latter).
    :param max_bad_share: allowed share of bad rows, 0–1 (templated). Empty: the Airflow Variable
        ``fingertip_quality_max_bad_share``, else 5 %.
    :param fail_on_reject: raise :class:`~fingertip.quality.validate.QualityGateRejected` (no retry)
        when the batch is rejected, after the verdict is recorded. Default ``False``: the verdict is
        returned and a separate gate task decides (as ``validate_inventory`` does).

    Returns the verdict (``batch_id``, ``file_name``, ``status`` promoted/rejected, row counts,
    messages in Chinese and English, ``report_path``) plus ``output`` — ``quality/<batch id>``, where
    the rejection report and GX results land. A mapped task is labelled with the file name when the
    DAG sets ``map_index_template="{{ map_label }}"``.
    """

    template_fields: Sequence[str] = ("batch", "max_bad_share")
    operator_extra_links = (FingertipOutputLink(),)
    ui_color = "#e2f0cb"

    def __init__(self, *, batch: Any, max_bad_share: Any = None, fail_on_reject: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch = batch
        self.max_bad_share = max_bad_share
        self.fail_on_reject = fail_on_reject

    @staticmethod
    def _batch_id(batch: Any) -> int:
        from fingertip.operators._values import as_mapping, is_empty

        if isinstance(batch, str) and batch.strip().startswith("{"):
            batch = as_mapping(batch, name="batch")
        if isinstance(batch, dict):
            batch = batch.get("batch_id")
        if is_empty(batch):
            raise ValueError("ValidateInventoryOperator needs a batch id")
        return int(batch)

    def execute(self, context: Any) -> dict[str, Any]:
        from fingertip.links import with_output
        from fingertip.operators._values import as_float
        from fingertip.quality.validate import DEFAULT_MAX_BAD_SHARE, QualityGateRejected, validate_batch
        from fingertip.runtime import interval_day, store_engine

        batch_id = self._batch_id(self.batch)
        share = as_float(self.max_bad_share, name="max_bad_share")
        if share is None:
            from airflow.sdk import Variable

            share = float(Variable.get(MAX_BAD_SHARE_VARIABLE, default=DEFAULT_MAX_BAD_SHARE))
        run_id = getattr(context.get("dag_run"), "run_id", None) or context.get("run_id")
        verdict = validate_batch(store_engine(), batch_id, max_bad_share=share, today=interval_day(context),
                                 run_name=str(run_id) if run_id else None).to_dict()
        context["map_label"] = verdict["file_name"]
        if self.fail_on_reject and verdict["status"] == "rejected":
            raise QualityGateRejected(f"{verdict['message_zh']}\n{verdict['message_en']}")
        return with_output(verdict, "quality", str(batch_id))
