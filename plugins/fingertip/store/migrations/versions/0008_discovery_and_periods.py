"""discovery of unregistered store listings; closing dates for period-exact reports

``store_listings.developer_id`` keeps the store's developer account id (Apple artistId) seen by the
daily lookups; ``discovery_cursors`` keeps where the rolling developer lookups and sponsor searches
stopped; ``listing_discoveries`` keeps how each listing missing from the inventory was found and
matched (method, query, sponsor, score, reasons). Nothing to backfill there: developer ids arrive with
the next daily lookup.

``apps.closed_on`` and ``accounts.closed_on`` (work groups have theirs) let reports count the inventory
as of a period's end. Backfill: a record already ``closed`` gets the day of its last update (the best
the store knows; before this revision no closing date was kept).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('store_listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('developer_id', sa.String(length=40), nullable=True,
                                      comment="the store's developer account id (Apple artistId)"))
        batch_op.create_index(batch_op.f('ix_store_listings_developer_id'), ['developer_id'], unique=False)

    op.create_table('discovery_cursors',
    sa.Column('source', sa.String(length=100), nullable=False, comment='connection id'),
    sa.Column('mode', sa.String(length=16), nullable=False, comment='developer / search'),
    sa.Column('position', sa.String(length=200), nullable=True, comment='last key done in the rolling order; null: start'),
    sa.Column('cycle', sa.Integer(), server_default='0', nullable=False, comment='completed passes over all keys'),
    sa.Column('run_date', sa.Date(), nullable=True, comment='day of the last run that moved it'),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("mode IN ('developer', 'search')", name=op.f('ck_discovery_cursors_mode')),
    sa.PrimaryKeyConstraint('source', 'mode', name=op.f('pk_discovery_cursors')),
    comment='Where the rolling discovery of unregistered store listings stopped (resumed by the next run).'
    )
    op.create_table('listing_discoveries',
    sa.Column('id', _ID, nullable=False),
    sa.Column('listing_id', _ID, nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False, comment='developer / search'),
    sa.Column('query', sa.String(length=300), nullable=False, comment='developer id or search term that found it'),
    sa.Column('sponsor_id', _ID, nullable=True),
    sa.Column('score', sa.Float(), nullable=False, comment='match score 0..1'),
    sa.Column('reasons', sa.JSON(), nullable=False, comment='what matched: seller name, credit code, bundle prefix …'),
    sa.Column('discovered_on', sa.Date(), nullable=False),
    sa.Column('confirmed_on', sa.Date(), nullable=False, comment='last day discovery saw it again'),
    sa.Column('source', sa.String(length=200), nullable=False, comment='connection id, file or generator'),
    sa.Column('fetched_at', sa.DateTime(), nullable=False, comment='when the record was obtained (UTC)'),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 of request or row'),
    sa.CheckConstraint("method IN ('developer', 'search')", name=op.f('ck_listing_discoveries_method')),
    sa.ForeignKeyConstraint(['listing_id'], ['store_listings.id'], name=op.f('fk_listing_discoveries_listing_id_store_listings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sponsor_id'], ['sponsors.id'], name=op.f('fk_listing_discoveries_sponsor_id_sponsors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_discoveries')),
    sa.UniqueConstraint('listing_id', name=op.f('uq_listing_discoveries_listing_id')),
    comment='How a store listing missing from the inventory was discovered and matched to a sponsor.'
    )
    with op.batch_alter_table('listing_discoveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_discoveries_sponsor_id'), ['sponsor_id'], unique=False)


    for name in ('apps', 'accounts'):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True,
                                          comment='day the status became closed (reports as of a period end)'))
        table = sa.table(name, sa.column('status', sa.String), sa.column('updated_at', sa.DateTime),
                         sa.column('closed_on', sa.Date))
        day = (sa.func.date(table.c.updated_at) if op.get_bind().dialect.name == 'sqlite'
               else sa.cast(table.c.updated_at, sa.Date))
        op.execute(sa.update(table).where(table.c.status == 'closed').values(closed_on=day))


def downgrade() -> None:
    for name in ('accounts', 'apps'):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column('closed_on')
    with op.batch_alter_table('listing_discoveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_discoveries_sponsor_id'))
    op.drop_table('listing_discoveries')
    op.drop_table('discovery_cursors')
    with op.batch_alter_table('store_listings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_listings_developer_id'))
        batch_op.drop_column('developer_id')
