"""inventory history and drift findings (quality: promotion history, ingestion drift)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('drift_findings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('check_date', sa.Date(), nullable=False, comment='day whose snapshot was checked'),
    sa.Column('source', sa.String(length=40), nullable=False, comment='listing_snapshots / account_activity / filings'),
    sa.Column('scope', sa.String(length=40), nullable=False, comment="store, or 'all'"),
    sa.Column('previous_date', sa.Date(), nullable=True),
    sa.Column('previous_count', sa.Integer(), nullable=False),
    sa.Column('current_count', sa.Integer(), nullable=False),
    sa.Column('drop_share', sa.Float(), nullable=False, comment='1 - current / previous'),
    sa.Column('detected_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drift_findings')),
    sa.UniqueConstraint('check_date', 'source', 'scope', name=op.f('uq_drift_findings_check_date_source_scope')),
    comment='Ingested snapshots whose row count dropped sharply against the previous one.'
    )
    op.create_table('inventory_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('table_name', sa.String(length=40), nullable=False, comment='sponsors / apps / accounts / work_groups'),
    sa.Column('record_key', sa.String(length=200), nullable=False, comment='natural key of the changed record'),
    sa.Column('changes', sa.JSON(), nullable=False, comment='field → [old, new]; old null when created'),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_inventory_history_batch_id_import_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_history')),
    sa.UniqueConstraint('batch_id', 'table_name', 'record_key', name=op.f('uq_inventory_history_batch_id_table_name_record_key')),
    comment='What each promoted import batch changed in the inventory (old → new per field).'
    )
    with op.batch_alter_table('inventory_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_history_batch_id'), ['batch_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('inventory_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_history_batch_id'))

    op.drop_table('inventory_history')
    op.drop_table('drift_findings')
