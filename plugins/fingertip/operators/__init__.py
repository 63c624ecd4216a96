"""Operators of the Fingertip provider: building blocks for your own DAGs (docs/operators.md).

One re-export line per module, nothing else: importing this package stays cheap (every operator
imports its hooks and libraries inside ``execute``).
"""

from fingertip.operators.approval import CaseApprovalOperator  # noqa: F401
from fingertip.operators.detect import DetectFindingsOperator  # noqa: F401
from fingertip.operators.discover import DiscoverListingsOperator  # noqa: F401
from fingertip.operators.ingest import IngestSourceOperator, Source  # noqa: F401
from fingertip.operators.report import ProduceReportOperator  # noqa: F401
from fingertip.operators.validate import ValidateInventoryOperator  # noqa: F401
