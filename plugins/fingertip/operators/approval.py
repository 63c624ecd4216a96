"""``CaseApprovalOperator``: human approval (HITL) of one shutdown case.

The operator lives with the approval workflow in :mod:`fingertip.lifecycle.approval` (requests,
decisions, timeouts); it is exposed here with the other building blocks. Map it over
:func:`fingertip.lifecycle.approval.request_approvals`::

    CaseApprovalOperator.partial(task_id="approve_case", response_timeout=timedelta(hours=72),
                                 map_index_template="{{ task.case_key }}").expand_kwargs(requests)
"""

from __future__ import annotations

from fingertip.lifecycle.approval import APPROVE, REJECT, CaseApprovalOperator, request_approvals

__all__ = ["APPROVE", "REJECT", "CaseApprovalOperator", "request_approvals"]
