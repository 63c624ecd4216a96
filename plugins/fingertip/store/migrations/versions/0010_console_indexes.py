"""console indexes

The governance console's overview and lists answer from indexes only (measured by
``fingertip_dev.bench.console``): covering indexes for the overview's groupings (entities by
sponsor and division, inspections by province and check date, findings by state, article and
rule, sponsors' level), and sort indexes for the findings list (last seen, check date, severity,
each with the id as tie-break; article and rule with the check date), the entity lists by name and the case board by state.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

#: (table, index name, columns) — kept in step with ``fingertip.store.schema``.
INDEXES = (
    ('apps', 'ix_apps_sponsor_id_division_code', ['sponsor_id', 'division_code']),
    ('apps', 'ix_apps_name_app_key', ['name', 'app_key']),
    ('accounts', 'ix_accounts_sponsor_id_division_code', ['sponsor_id', 'division_code']),
    ('accounts', 'ix_accounts_name_account_key', ['name', 'account_key']),
    ('work_groups', 'ix_work_groups_sponsor_id_division_code', ['sponsor_id', 'division_code']),
    ('work_groups', 'ix_work_groups_name_group_key', ['name', 'group_key']),
    ('sponsors', 'ix_sponsors_level', ['level']),
    ('inspections', 'ix_inspections_province_code_check_date_outcome', ['province_code', 'check_date', 'outcome']),
    ('findings', 'ix_findings_state_article_rule_id', ['state', 'article', 'rule_id']),
    ('findings', 'ix_findings_last_seen_at_id', ['last_seen_at', 'id']),
    ('findings', 'ix_findings_check_date_id', ['check_date', 'id']),
    ('findings', 'ix_findings_severity_id', ['severity', 'id']),
    ('findings', 'ix_findings_article_check_date', ['article', 'check_date']),
    ('findings', 'ix_findings_rule_id_check_date', ['rule_id', 'check_date']),
    ('shutdown_cases', 'ix_shutdown_cases_state_updated_at', ['state', 'updated_at']),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
