"""findings lifecycle, inspections, case checks, notification payloads

Findings get the article key, remediation, check date and a reopen count, and may name a
store listing (target type ``listing``); ``inspections`` keeps the inspection score of each app
and account per check date; ``case_checks`` keeps delisting verification evidence;
notifications keep their payload until sent and a not-before time for reminders.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inspections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('check_date', sa.Date(), nullable=False),
    sa.Column('target_type', sa.String(length=16), nullable=False, comment='app / account'),
    sa.Column('target_key', sa.String(length=200), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('province_code', sa.String(length=6), nullable=False),
    sa.Column('sponsor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False, comment='100 minus deductions'),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('vetoes', sa.JSON(), nullable=False, comment='single-veto rule ids hit'),
    sa.Column('deductions', sa.JSON(), nullable=False, comment='rule id -> points'),
    sa.Column('risk_tier', sa.String(length=8), nullable=False, comment='high / medium / low (Art. 16)'),
    sa.Column('risk_factors', sa.JSON(), nullable=True),
    sa.CheckConstraint("risk_tier IN ('high', 'medium', 'low')", name=op.f('ck_inspections_risk_tier')),
    sa.CheckConstraint("target_type IN ('app', 'account')", name=op.f('ck_inspections_target_type')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['sponsors.id'], name=op.f('fk_inspections_sponsor_id_sponsors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('check_date', 'target_type', 'target_key', name=op.f('uq_inspections_check_date_target_type_target_key')),
    comment='Inspection score of each app and account per check date (national indicator scheme).'
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspections_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_sponsor_id'), ['sponsor_id'], unique=False)

    op.create_table('case_checks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('check_date', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=60), nullable=False, comment='store:<store> / platform:<platform> / filing'),
    sa.Column('channel_key', sa.String(length=200), nullable=False, comment='store app id, account id or licence'),
    sa.Column('present', sa.Boolean(), nullable=False, comment='still listed / still filed'),
    sa.Column('request', sa.String(length=1000), nullable=True, comment='what was asked (URL or query)'),
    sa.Column('response_fingerprint', sa.String(length=64), nullable=True, comment='SHA-256 of the response'),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['shutdown_cases.id'], name=op.f('fk_case_checks_case_id_shutdown_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_checks')),
    sa.UniqueConstraint('case_id', 'check_date', 'channel', 'channel_key', name=op.f('uq_case_checks_case_id_check_date_channel_channel_key')),
    comment='Delisting verification checks of shutdown cases, with their evidence.'
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('article', sa.String(length=40), server_default='', nullable=False, comment='policy article key, e.g. opinions-7 (reports group by it)'))
        batch_op.add_column(sa.Column('remediation_zh', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('check_date', sa.Date(), nullable=True, comment='data date of the last evaluation that saw it'))
        batch_op.add_column(sa.Column('reopened_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_findings_article'), ['article'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_findings_target_type'), type_='check')
        batch_op.create_check_constraint(
            'target_type', "target_type IN ('app', 'account', 'work_group', 'sponsor', 'listing')")

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True, comment='what to send: text, html, attachments (paths), inline images; kept until sent'))
        batch_op.add_column(sa.Column('not_before', sa.DateTime(), nullable=True, comment='do not send before (reminders)'))



def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('not_before')
        batch_op.drop_column('payload')

    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_article'))
        batch_op.drop_constraint(batch_op.f('ck_findings_target_type'), type_='check')
        batch_op.create_check_constraint(
            'target_type', "target_type IN ('app', 'account', 'work_group', 'sponsor')")
        batch_op.drop_column('reopened_count')
        batch_op.drop_column('check_date')
        batch_op.drop_column('remediation_zh')
        batch_op.drop_column('article')

    op.drop_table('case_checks')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspections_sponsor_id'))
        batch_op.drop_index(batch_op.f('ix_inspections_division_code'))

    op.drop_table('inspections')
