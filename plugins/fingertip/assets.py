"""Assets (data-aware scheduling) shared by producer and consumer DAGs.

Downstream DAGs schedule on these; names are stable identifiers, not locations.
"""

from __future__ import annotations

from airflow.sdk import Asset

SAMPLE_POPULATION = Asset("fingertip://store/sample_population")
STORE_OVERVIEW = Asset("fingertip://outputs/store_overview")
