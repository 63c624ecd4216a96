"""index apps package_name

Ingesting an Android store links every newly seen listing to its inventory app by package name
(``fingertip.sources.listings._inventory_app_ids``); without this index that lookup scans ``apps``
once per page of the feed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apps_package_name'), ['package_name'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apps_package_name'))
