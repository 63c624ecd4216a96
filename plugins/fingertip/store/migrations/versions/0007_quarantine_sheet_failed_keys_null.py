"""quarantine identity includes the sheet; fetch_log.failed_keys is SQL NULL, not JSON null

``quarantined_rows`` gets ``sheet`` (rows are numbered per worksheet: two sheets with a bad value
on the same row number are two entries) and its unique key includes it. ``fetch_log.failed_keys``
of successful requests was stored as the JSON text ``null``; those rows become SQL NULL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_OLD_UQ = 'uq_quarantined_rows_batch_id_row_number_column_name_expectation'
_NEW_UQ = 'uq_quarantined_rows_batch_id_sheet_row_number_column_name_expectation'


def _json_null_to_sql_null() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE fetch_log SET failed_keys = NULL WHERE failed_keys::text = 'null'")
    else:
        op.execute("UPDATE fetch_log SET failed_keys = NULL WHERE failed_keys = 'null'")


def upgrade() -> None:
    with op.batch_alter_table('quarantined_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sheet', sa.String(length=100), server_default='', nullable=False,
                                      comment="worksheet of the row ('' for CSV): rows are numbered per sheet"))
        batch_op.drop_constraint(batch_op.f(_OLD_UQ), type_='unique')
        batch_op.create_unique_constraint(batch_op.f(_NEW_UQ),
                                          ['batch_id', 'sheet', 'row_number', 'column_name', 'expectation'])
    with op.batch_alter_table('fetch_log', schema=None) as batch_op:
        batch_op.alter_column('failed_keys', existing_type=sa.JSON(), existing_nullable=True,
                              comment='ids the request was for, when it failed (SQL NULL otherwise)',
                              existing_comment='ids the request was for, when it failed')
    _json_null_to_sql_null()


def downgrade() -> None:
    with op.batch_alter_table('fetch_log', schema=None) as batch_op:
        batch_op.alter_column('failed_keys', existing_type=sa.JSON(), existing_nullable=True,
                              comment='ids the request was for, when it failed',
                              existing_comment='ids the request was for, when it failed (SQL NULL otherwise)')
    # rows that differ only by sheet cannot all keep the old identity: keep the first of each
    op.execute(
        "DELETE FROM quarantined_rows WHERE id NOT IN (SELECT min(id) FROM quarantined_rows "
        "GROUP BY batch_id, row_number, column_name, expectation)"
    )
    with op.batch_alter_table('quarantined_rows', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(_NEW_UQ), type_='unique')
        batch_op.create_unique_constraint(batch_op.f(_OLD_UQ), ['batch_id', 'row_number', 'column_name', 'expectation'])
        batch_op.drop_column('sheet')
