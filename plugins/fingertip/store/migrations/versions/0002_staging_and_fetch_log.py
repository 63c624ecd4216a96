"""staging and fetch log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fetch_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False, comment='connection id'),
    sa.Column('endpoint', sa.String(length=200), nullable=False),
    sa.Column('interval_date', sa.Date(), nullable=False, comment='data interval the request served'),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False, comment='ok / failed'),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('item_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('failed_keys', sa.JSON(), nullable=True, comment='ids the request was for, when it failed'),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('ok', 'failed')", name=op.f('ck_fetch_log_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fetch_log')),
    sa.UniqueConstraint('source', 'interval_date', 'request_fingerprint', name=op.f('uq_fetch_log_source_interval_date_request_fingerprint')),
    comment='Every source request of every run: outcome, attempts and the ids a failure left behind.'
    )
    op.create_table('inventory_staging',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sheet', sa.String(length=100), server_default='', nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False, comment='1-based row in the file or sheet'),
    sa.Column('entity_type', sa.String(length=16), nullable=False, comment='app / account / work_group'),
    sa.Column('data', sa.JSON(), nullable=False, comment='canonical field name → cell text'),
    sa.Column('raw', sa.JSON(), nullable=False, comment='original header → cell text, as submitted'),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 of the raw row'),
    sa.CheckConstraint("entity_type IN ('app', 'account', 'work_group')", name=op.f('ck_inventory_staging_entity_type')),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_inventory_staging_batch_id_import_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_staging')),
    sa.UniqueConstraint('batch_id', 'sheet', 'row_number', name=op.f('uq_inventory_staging_batch_id_sheet_row_number')),
    comment='Parsed rows of an import batch awaiting validation (cells kept as text).'
    )


def downgrade() -> None:
    op.drop_table('inventory_staging')
    op.drop_table('fetch_log')
