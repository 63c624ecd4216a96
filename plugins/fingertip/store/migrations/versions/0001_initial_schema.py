"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_key', sa.String(length=250), nullable=False, comment='dag id + run id'),
    sa.Column('kind', sa.String(length=20), nullable=False, comment='periodic, self_inspection, adhoc, detection'),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('sample_rate', sa.Float(), nullable=True),
    sa.Column('sample_seed', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=12), server_default='running', nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'succeeded', 'failed')", name=op.f('ck_audit_runs_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_runs')),
    sa.UniqueConstraint('run_key', name=op.f('uq_audit_runs_run_key')),
    comment='Periodic reports, self-inspections, ad-hoc audits and detection runs.'
    )
    op.create_table('divisions',
    sa.Column('code', sa.String(length=6), nullable=False, comment='GB/T 2260 code'),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False, comment='province / prefecture / county'),
    sa.Column('province_code', sa.String(length=6), nullable=False),
    sa.Column('prefecture_code', sa.String(length=6), nullable=True),
    sa.Column('snapshot', sa.String(length=20), nullable=False, comment='code-list snapshot the row came from'),
    sa.CheckConstraint("level IN ('province', 'prefecture', 'county')", name=op.f('ck_divisions_level')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_divisions')),
    comment='Pinned GB/T 2260 administrative division snapshot (include/reference).'
    )
    op.create_table('import_batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False, comment='SHA-256 of the file'),
    sa.Column('submitting_unit', sa.String(length=200), nullable=True),
    sa.Column('entity_type', sa.String(length=16), nullable=True, comment='app / account / work_group / sponsor'),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='staged', nullable=False),
    sa.Column('row_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('good_rows', sa.Integer(), server_default='0', nullable=False),
    sa.Column('bad_rows', sa.Integer(), server_default='0', nullable=False),
    sa.Column('message', sa.Text(), nullable=True, comment='gate verdict or rejection reason'),
    sa.Column('report_path', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("status IN ('staged', 'validated', 'promoted', 'rejected')", name=op.f('ck_import_batches_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches')),
    sa.UniqueConstraint('checksum', name=op.f('uq_import_batches_checksum')),
    comment='One row per inventory spreadsheet received (台账导入批次).'
    )
    op.create_table('sponsors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False, comment='GB 32100 unified social credit code'),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('nature', sa.String(length=12), nullable=False, comment='机关 / 事业单位 / 群团组织'),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('contact_name', sa.String(length=50), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('contact_email', sa.String(length=200), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False, comment='connection id, file or generator'),
    sa.Column('fetched_at', sa.DateTime(), nullable=False, comment='when the record was obtained (UTC)'),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 of request or row'),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("level IN ('central', 'provincial', 'prefectural', 'county', 'township')", name=op.f('ck_sponsors_level')),
    sa.ForeignKeyConstraint(['parent_id'], ['sponsors.id'], name=op.f('fk_sponsors_parent_id_sponsors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sponsors')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_sponsors_credit_code')),
    comment='Sponsoring units (主办单位).'
    )
    with op.batch_alter_table('sponsors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sponsors_division_code'), ['division_code'], unique=False)

    op.create_table('accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_key', sa.String(length=40), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('platform_account_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sponsor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('has_interaction_channel', sa.Boolean(), nullable=True),
    sa.Column('has_complaint_channel', sa.Boolean(), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='active', nullable=False),
    sa.Column('import_batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False, comment='connection id, file or generator'),
    sa.Column('fetched_at', sa.DateTime(), nullable=False, comment='when the record was obtained (UTC)'),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 of request or row'),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("platform IN ('wechat', 'weibo', 'douyin', 'toutiao', 'kuaishou', 'bilibili', 'wechat_channels', 'xiaohongshu')", name=op.f('ck_accounts_platform')),
    sa.CheckConstraint("status IN ('active', 'shutting_down', 'closed')", name=op.f('ck_accounts_status')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_accounts_import_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['sponsors.id'], name=op.f('fk_accounts_sponsor_id_sponsors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('account_key', name=op.f('uq_accounts_account_key')),
    sa.UniqueConstraint('platform', 'platform_account_id', name=op.f('uq_accounts_platform_platform_account_id')),
    comment='Government official accounts (政务公众账号).'
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_sponsor_id'), ['sponsor_id'], unique=False)

    op.create_table('apps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('app_key', sa.String(length=40), nullable=False, comment='stable inventory key'),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False, comment='app / mini_program / quick_app'),
    sa.Column('sponsor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('host_platform', sa.String(length=16), nullable=True, comment='for mini-programs: wechat, alipay …'),
    sa.Column('package_name', sa.String(length=200), nullable=True, comment='Android package'),
    sa.Column('bundle_id', sa.String(length=200), nullable=True, comment='iOS bundle id'),
    sa.Column('apple_track_id', sa.BigInteger(), nullable=True),
    sa.Column('mini_program_id', sa.String(length=64), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('declared_features', sa.JSON(), nullable=True, comment='list of feature codes'),
    sa.Column('approved_features', sa.JSON(), nullable=True, comment='feature approvals (Art. 6)'),
    sa.Column('has_complaint_channel', sa.Boolean(), nullable=True),
    sa.Column('user_scale', sa.BigInteger(), nullable=True, comment='registered users declared'),
    sa.Column('launched_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='active', nullable=False),
    sa.Column('import_batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False, comment='connection id, file or generator'),
    sa.Column('fetched_at', sa.DateTime(), nullable=False, comment='when the record was obtained (UTC)'),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 of request or row'),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("kind IN ('app', 'mini_program', 'quick_app')", name=op.f('ck_apps_kind')),
    sa.CheckConstraint("status IN ('active', 'shutting_down', 'closed')", name=op.f('ck_apps_status')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_apps_import_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['sponsors.id'], name=op.f('fk_apps_sponsor_id_sponsors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apps')),
    sa.UniqueConstraint('app_key', name=op.f('uq_apps_app_key')),
    sa.UniqueConstraint('apple_track_id', name=op.f('uq_apps_apple_track_id')),
    comment='Government apps, mini-programs and quick apps in the inventory (台账).'
    )
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apps_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_apps_sponsor_id'), ['sponsor_id'], unique=False)

    op.create_table('findings',
    sa.Column('id', sa.String(length=64), nullable=False, comment='stable: hash of rule id and target'),
    sa.Column('rule_id', sa.String(length=80), nullable=False),
    sa.Column('target_type', sa.String(length=16), nullable=False),
    sa.Column('target_key', sa.String(length=200), nullable=False),
    sa.Column('severity', sa.String(length=12), nullable=False),
    sa.Column('state', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('title_zh', sa.String(length=300), nullable=False),
    sa.Column('basis', sa.String(length=300), nullable=False, comment='document and article'),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=True),
    sa.Column('sponsor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('acknowledged_by', sa.String(length=100), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("state IN ('open', 'acknowledged', 'resolved', 'waived')", name=op.f('ck_findings_state')),
    sa.CheckConstraint("target_type IN ('app', 'account', 'work_group', 'sponsor')", name=op.f('ck_findings_target_type')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['sponsors.id'], name=op.f('fk_findings_sponsor_id_sponsors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings')),
    sa.UniqueConstraint('rule_id', 'target_type', 'target_key', name=op.f('uq_findings_rule_id_target_type_target_key')),
    comment='What the rules flagged, with evidence and policy basis.'
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_rule_id'), ['rule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_sponsor_id'), ['sponsor_id'], unique=False)

    op.create_table('quarantined_rows',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False, comment='1-based row in the submitted file'),
    sa.Column('column_name', sa.String(length=100), nullable=True),
    sa.Column('expectation', sa.String(length=200), nullable=False),
    sa.Column('raw_value', sa.Text(), nullable=True, comment='stored verbatim, escaped on output'),
    sa.Column('reason_zh', sa.Text(), nullable=False),
    sa.Column('reason_en', sa.Text(), nullable=False),
    sa.Column('raw_row', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_quarantined_rows_batch_id_import_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantined_rows')),
    sa.UniqueConstraint('batch_id', 'row_number', 'column_name', 'expectation', name=op.f('uq_quarantined_rows_batch_id_row_number_column_name_expectation')),
    comment='Rows that failed validation, with the reason per row and column.'
    )
    op.create_table('work_groups',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_key', sa.String(length=40), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sponsor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=True),
    sa.Column('is_temporary', sa.Boolean(), nullable=False),
    sa.Column('task_ends_on', sa.Date(), nullable=True),
    sa.Column('member_count', sa.Integer(), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='active', nullable=False),
    sa.Column('import_batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False, comment='connection id, file or generator'),
    sa.Column('fetched_at', sa.DateTime(), nullable=False, comment='when the record was obtained (UTC)'),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 of request or row'),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("platform IN ('wechat', 'wecom', 'dingtalk', 'qq', 'zhengwuwei')", name=op.f('ck_work_groups_platform')),
    sa.CheckConstraint("status IN ('active', 'shutting_down', 'closed')", name=op.f('ck_work_groups_status')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_work_groups_import_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['sponsors.id'], name=op.f('fk_work_groups_sponsor_id_sponsors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_groups')),
    sa.UniqueConstraint('group_key', name=op.f('uq_work_groups_group_key')),
    comment='Work groups (工作群组).'
    )
    with op.batch_alter_table('work_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_groups_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_groups_sponsor_id'), ['sponsor_id'], unique=False)

    op.create_table('account_activity',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('activity_date', sa.Date(), nullable=False),
    sa.Column('last_post_at', sa.DateTime(), nullable=True),
    sa.Column('posts_7d', sa.Integer(), nullable=False),
    sa.Column('posts_14d', sa.Integer(), nullable=False),
    sa.Column('posts_30d', sa.Integer(), nullable=False),
    sa.Column('followers', sa.BigInteger(), nullable=False),
    sa.Column('unanswered_messages', sa.Integer(), nullable=False),
    sa.Column('oldest_unanswered_days', sa.Integer(), nullable=True),
    sa.Column('interaction_channel', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False, comment='connection id, file or generator'),
    sa.Column('fetched_at', sa.DateTime(), nullable=False, comment='when the record was obtained (UTC)'),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 of request or row'),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_activity_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_activity')),
    sa.UniqueConstraint('account_id', 'activity_date', name=op.f('uq_account_activity_account_id_activity_date')),
    comment='Dated activity of each account, one row per account and day.'
    )
    op.create_table('filings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('filing_kind', sa.String(length=10), nullable=False, comment='icp_app (MIIT) / gov_app (national record)'),
    sa.Column('service_licence', sa.String(length=60), nullable=False, comment='e.g. 粤ICP备2024012345号-2A'),
    sa.Column('main_licence', sa.String(length=60), nullable=True, comment='entity number, e.g. 粤ICP备2024012345号'),
    sa.Column('sponsor_name', sa.String(length=200), nullable=False),
    sa.Column('sponsor_nature', sa.String(length=20), nullable=True),
    sa.Column('sponsor_credit_code', sa.String(length=18), nullable=True),
    sa.Column('service_name', sa.String(length=200), nullable=False),
    sa.Column('service_type', sa.String(length=16), nullable=False, comment='app / mini_program / quick_app'),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('access_restricted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='active', nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('app_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False, comment='connection id, file or generator'),
    sa.Column('fetched_at', sa.DateTime(), nullable=False, comment='when the record was obtained (UTC)'),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 of request or row'),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("filing_kind IN ('icp_app', 'gov_app')", name=op.f('ck_filings_filing_kind')),
    sa.CheckConstraint("service_type IN ('app', 'mini_program', 'quick_app')", name=op.f('ck_filings_service_type')),
    sa.CheckConstraint("status IN ('active', 'cancelled')", name=op.f('ck_filings_status')),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], name=op.f('fk_filings_app_id_apps')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filings')),
    sa.UniqueConstraint('filing_kind', 'service_licence', name=op.f('uq_filings_filing_kind_service_licence')),
    comment='ICP/APP filings (MIIT) and national gov-app filing records.'
    )
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_filings_app_id'), ['app_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_filings_sponsor_credit_code'), ['sponsor_credit_code'], unique=False)

    op.create_table('shutdown_cases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_key', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=16), nullable=False),
    sa.Column('target_key', sa.String(length=200), nullable=False),
    sa.Column('finding_id', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=20), server_default='proposed', nullable=False),
    sa.Column('opened_by', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('successor_kind', sa.String(length=16), nullable=True),
    sa.Column('successor_key', sa.String(length=200), nullable=True),
    sa.Column('announced_on', sa.Date(), nullable=True),
    sa.Column('stop_on', sa.Date(), nullable=True),
    sa.Column('disposal_due_on', sa.Date(), nullable=True),
    sa.Column('blocked_reason', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("state IN ('proposed', 'approved', 'rejected', 'announced', 'service_stopped', 'data_disposed', 'delisting_verified', 'closed', 'cancelled')", name=op.f('ck_shutdown_cases_state')),
    sa.CheckConstraint("target_type IN ('app', 'account', 'work_group', 'sponsor')", name=op.f('ck_shutdown_cases_target_type')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_shutdown_cases_finding_id_findings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shutdown_cases')),
    sa.UniqueConstraint('case_key', name=op.f('uq_shutdown_cases_case_key')),
    comment='Shutdown (关停注销) cases.'
    )
    op.create_table('store_listings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('store', sa.String(length=16), nullable=False),
    sa.Column('store_app_id', sa.String(length=200), nullable=False, comment='Apple trackId or Android package'),
    sa.Column('app_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='null: not in inventory'),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('developer', sa.String(length=200), nullable=True),
    sa.Column('version', sa.String(length=50), nullable=True),
    sa.Column('version_released_at', sa.DateTime(), nullable=True),
    sa.Column('first_released_at', sa.DateTime(), nullable=True),
    sa.Column('rating', sa.Float(), nullable=True),
    sa.Column('rating_count', sa.BigInteger(), nullable=True),
    sa.Column('downloads', sa.BigInteger(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('available', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('consecutive_absences', sa.Integer(), server_default='0', nullable=False),
    sa.Column('first_seen_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True, comment='last time the store returned it'),
    sa.Column('delisted_at', sa.DateTime(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False, comment='connection id, file or generator'),
    sa.Column('fetched_at', sa.DateTime(), nullable=False, comment='when the record was obtained (UTC)'),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 of request or row'),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("store IN ('apple', 'huawei', 'xiaomi', 'oppo', 'vivo', 'honor', 'yingyongbao')", name=op.f('ck_store_listings_store')),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], name=op.f('fk_store_listings_app_id_apps')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_listings')),
    sa.UniqueConstraint('store', 'store_app_id', name=op.f('uq_store_listings_store_store_app_id')),
    comment='Current state of each store listing.'
    )
    with op.batch_alter_table('store_listings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_listings_app_id'), ['app_id'], unique=False)

    op.create_table('waivers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('finding_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('approver', sa.String(length=100), nullable=False),
    sa.Column('granted_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_waivers_finding_id_findings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waivers')),
    comment='Time-limited exemptions of findings.'
    )
    with op.batch_alter_table('waivers', schema=None) as batch_op:
        batch_op.create_index('ix_waivers_finding_id_expires_at', ['finding_id', 'expires_at'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['shutdown_cases.id'], name=op.f('fk_case_events_case_id_shutdown_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events')),
    comment='Every transition of a shutdown case: who, when, why.'
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('doc_kind', sa.String(length=40), nullable=False, comment='announcement, disposal_checklist, report …'),
    sa.Column('doc_format', sa.String(length=10), nullable=False, comment='docx, pdf, xlsx, html, md, json'),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('audit_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('path', sa.String(length=1000), nullable=False, comment='ObjectStoragePath URL'),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['audit_run_id'], ['audit_runs.id'], name=op.f('fk_documents_audit_run_id_audit_runs')),
    sa.ForeignKeyConstraint(['case_id'], ['shutdown_cases.id'], name=op.f('fk_documents_case_id_shutdown_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('path', name=op.f('uq_documents_path')),
    comment='Generated documents and where they are.'
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_audit_run_id'), ['audit_run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_case_id'), ['case_id'], unique=False)

    op.create_table('listing_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('listing_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('event_type', sa.String(length=24), nullable=False),
    sa.Column('old_value', sa.String(length=500), nullable=True),
    sa.Column('new_value', sa.String(length=500), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False, comment='connection id, file or generator'),
    sa.Column('fetched_at', sa.DateTime(), nullable=False, comment='when the record was obtained (UTC)'),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 of request or row'),
    sa.CheckConstraint("event_type IN ('delisted', 'relisted', 'version_changed', 'name_changed', 'developer_changed')", name=op.f('ck_listing_events_event_type')),
    sa.ForeignKeyConstraint(['listing_id'], ['store_listings.id'], name=op.f('fk_listing_events_listing_id_store_listings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_events')),
    sa.UniqueConstraint('listing_id', 'event_date', 'event_type', name=op.f('uq_listing_events_listing_id_event_date_event_type')),
    comment='Delisting, relisting and change events derived from snapshots.'
    )
    op.create_table('listing_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('listing_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('snapshot_date', sa.Date(), nullable=False, comment='data interval date'),
    sa.Column('present', sa.Boolean(), nullable=False, comment='false: absent from the store response'),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('developer', sa.String(length=200), nullable=True),
    sa.Column('version', sa.String(length=50), nullable=True),
    sa.Column('version_released_at', sa.DateTime(), nullable=True),
    sa.Column('rating', sa.Float(), nullable=True),
    sa.Column('rating_count', sa.BigInteger(), nullable=True),
    sa.Column('downloads', sa.BigInteger(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False, comment='connection id, file or generator'),
    sa.Column('fetched_at', sa.DateTime(), nullable=False, comment='when the record was obtained (UTC)'),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 of request or row'),
    sa.ForeignKeyConstraint(['listing_id'], ['store_listings.id'], name=op.f('fk_listing_snapshots_listing_id_store_listings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_snapshots')),
    sa.UniqueConstraint('listing_id', 'snapshot_date', name=op.f('uq_listing_snapshots_listing_id_snapshot_date')),
    comment='Dated observation of a listing, one per listing and day.'
    )
    op.create_table('notifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('notification_key', sa.String(length=200), nullable=False, comment='e.g. report id + recipient'),
    sa.Column('channel', sa.String(length=16), server_default='email', nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False, comment='report, audit, reminder, digest'),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('audit_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=12), server_default='queued', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('message_id', sa.String(length=300), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name=op.f('ck_notifications_status')),
    sa.ForeignKeyConstraint(['audit_run_id'], ['audit_runs.id'], name=op.f('fk_notifications_audit_run_id_audit_runs')),
    sa.ForeignKeyConstraint(['case_id'], ['shutdown_cases.id'], name=op.f('fk_notifications_case_id_shutdown_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('notification_key', name=op.f('uq_notifications_notification_key')),
    comment='Ledger of every notification: exactly-once delivery per key.'
    )


def downgrade() -> None:
    op.drop_table('notifications')
    op.drop_table('listing_snapshots')
    op.drop_table('listing_events')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_case_id'))
        batch_op.drop_index(batch_op.f('ix_documents_audit_run_id'))

    op.drop_table('documents')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))

    op.drop_table('case_events')
    with op.batch_alter_table('waivers', schema=None) as batch_op:
        batch_op.drop_index('ix_waivers_finding_id_expires_at')

    op.drop_table('waivers')
    with op.batch_alter_table('store_listings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_listings_app_id'))

    op.drop_table('store_listings')
    op.drop_table('shutdown_cases')
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_filings_sponsor_credit_code'))
        batch_op.drop_index(batch_op.f('ix_filings_app_id'))

    op.drop_table('filings')
    op.drop_table('account_activity')
    with op.batch_alter_table('work_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_groups_sponsor_id'))
        batch_op.drop_index(batch_op.f('ix_work_groups_division_code'))

    op.drop_table('work_groups')
    op.drop_table('quarantined_rows')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_sponsor_id'))
        batch_op.drop_index(batch_op.f('ix_findings_rule_id'))
        batch_op.drop_index(batch_op.f('ix_findings_division_code'))

    op.drop_table('findings')
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apps_sponsor_id'))
        batch_op.drop_index(batch_op.f('ix_apps_division_code'))

    op.drop_table('apps')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_sponsor_id'))
        batch_op.drop_index(batch_op.f('ix_accounts_division_code'))

    op.drop_table('accounts')
    with op.batch_alter_table('sponsors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sponsors_division_code'))

    op.drop_table('sponsors')
    op.drop_table('import_batches')
    op.drop_table('divisions')
    op.drop_table('audit_runs')
