"""waiver users

Who recorded a waiver and who revoked it (the logged-in Airflow user of the console, or the CLI's
``--by``): ``waivers.granted_by`` and ``waivers.revoked_by``. Earlier rows keep null (not recorded).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('waivers') as batch:
        batch.add_column(sa.Column('granted_by', sa.String(200), nullable=True,
                                   comment='user who recorded the waiver (null: not recorded)'))
        batch.add_column(sa.Column('revoked_by', sa.String(200), nullable=True,
                                   comment='user who revoked it (null: not revoked or not recorded)'))


def downgrade() -> None:
    with op.batch_alter_table('waivers') as batch:
        batch.drop_column('revoked_by')
        batch.drop_column('granted_by')
