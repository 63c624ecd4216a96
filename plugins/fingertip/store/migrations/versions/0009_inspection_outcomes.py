"""two inspection scores and the "no data" outcome; declared ledger facts


``inspections`` keeps two results per record: Fingertip's governance assessment (``score``,
``passed``, ``vetoes``, ``deductions`` and the new ``outcome``) and, for accounts, the
国办秘函〔2019〕19号 inspection (``indicator_*``). ``outcome`` / ``indicator_outcome`` may be
``no_data``: the record's data is missing, counted apart from the pass rate and never a pass.
Apps keep their declared monthly active users, gov-app filing number and 等保 level, accounts
their verified entity, work groups their owner (the ledger declares them; they were dropped).
Existing rows get ``outcome`` from ``passed`` (then the column has no default); their 19号 result is
unknown (null).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


TABLE_COMMENT = ("Per check date: Fingertip's governance assessment of each app and account, and the "
                 "国办秘函〔2019〕19号 inspection of each account.")
OLD_TABLE_COMMENT = 'Inspection score of each app and account per check date (national indicator scheme).'
# (column, type, nullable, new comment, old comment)
COMMENTS = (
    ('score', sa.Integer(), False, 'governance assessment: start minus deductions', '100 minus deductions'),
    ('passed', sa.Boolean(), False, 'governance assessment outcome is passed', None),
    ('vetoes', sa.JSON(), False, 'governance assessment: veto rule ids hit', 'single-veto rule ids hit'),
    ('deductions', sa.JSON(), False, 'governance assessment: rule id -> points', 'rule id -> points'),
)


def upgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=8), server_default='failed', nullable=False, comment='governance assessment: passed / failed / no_data (data missing: counted apart, never a pass)'))
        batch_op.add_column(sa.Column('indicator_outcome', sa.String(length=8), nullable=True, comment='国办秘函〔2019〕19号 inspection (accounts): passed / failed / no_data; null: not applicable'))
        batch_op.add_column(sa.Column('indicator_score', sa.Integer(), nullable=True, comment='19号 inspection: start minus deductions'))
        batch_op.add_column(sa.Column('indicator_vetoes', sa.JSON(), nullable=True, comment='19号 inspection: single-veto rule ids hit'))
        batch_op.add_column(sa.Column('indicator_deductions', sa.JSON(), nullable=True, comment='19号 inspection: rule id -> points'))
        batch_op.create_check_constraint('outcome', "outcome IN ('passed', 'failed', 'no_data')")
        for name, type_, nullable, comment, old in COMMENTS:
            batch_op.alter_column(name, existing_type=type_, existing_nullable=nullable, comment=comment,
                                  existing_comment=old)
    if op.get_context().dialect.name != 'sqlite':
        op.create_table_comment('inspections', TABLE_COMMENT, existing_comment=OLD_TABLE_COMMENT)
    inspections = sa.table('inspections', sa.column('passed', sa.Boolean()), sa.column('outcome', sa.String()))
    op.execute(inspections.update().where(inspections.c.passed.is_(True)).values(outcome='passed'))
    # new rows must state their outcome (no default: a writer that forgets it fails loudly)
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.alter_column('outcome', existing_type=sa.String(length=8), existing_nullable=False,
                              server_default=None)


    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('monthly_active_users', sa.BigInteger(), nullable=True, comment='monthly active users declared'))
        batch_op.add_column(sa.Column('gov_filing_number', sa.String(length=60), nullable=True, comment='national gov-app filing number declared (国办函〔2026〕12号), verbatim'))
        batch_op.add_column(sa.Column('security_level', sa.SmallInteger(), nullable=True, comment='declared 等保 level 1-5'))
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_entity', sa.String(length=200), nullable=True, comment='verified entity (认证主体) declared'))
    with op.batch_alter_table('work_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_name', sa.String(length=100), nullable=True, comment='group owner (群主) declared'))


def downgrade() -> None:
    with op.batch_alter_table('work_groups', schema=None) as batch_op:
        batch_op.drop_column('owner_name')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('verified_entity')
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.drop_column('security_level')
        batch_op.drop_column('gov_filing_number')
        batch_op.drop_column('monthly_active_users')
    if op.get_context().dialect.name != 'sqlite':
        op.create_table_comment('inspections', OLD_TABLE_COMMENT, existing_comment=TABLE_COMMENT)
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        for name, type_, nullable, comment, old in COMMENTS:
            batch_op.alter_column(name, existing_type=type_, existing_nullable=nullable, comment=old,
                                  existing_comment=comment)
        batch_op.drop_constraint(batch_op.f('ck_inspections_outcome'), type_='check')
        batch_op.drop_column('indicator_deductions')
        batch_op.drop_column('indicator_vetoes')
        batch_op.drop_column('indicator_score')
        batch_op.drop_column('indicator_outcome')
        batch_op.drop_column('outcome')
