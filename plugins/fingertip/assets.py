"""Assets (data-aware scheduling) shared by producer and consumer DAGs.

Downstream DAGs schedule on these; names are stable identifiers, not locations.
"""

from __future__ import annotations

from airflow.sdk import Asset

SAMPLE_POPULATION = Asset("fingertip://store/sample_population")
STORE_OVERVIEW = Asset("fingertip://outputs/store_overview")

# Ingestion (issue: sources): downstream validation and detection schedule on these.
APP_STORE_LISTINGS = Asset("fingertip://ingest/app_store_listings")
FILINGS = Asset("fingertip://ingest/filings")
ACCOUNT_ACTIVITY = Asset("fingertip://ingest/account_activity")
INVENTORY_STAGED = Asset("fingertip://ingest/inventory_staged")

# Validation (issue: quality): detection schedules on this.
INVENTORY_VALIDATED = Asset("fingertip://quality/inventory_validated")

# Detection (issue: rules): the shutdown and report DAGs schedule on this.
FINDINGS = Asset("fingertip://rules/findings")
# Shutdown workflow and reports.
SHUTDOWN_CASES = Asset("fingertip://lifecycle/shutdown_cases")
REPORTS = Asset("fingertip://reports/periodic")
