"""Dialogue series, their meetings and action items.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allychain.store.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dialogue_series",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("org_id", sa.String(64), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("cadence", sa.String(20), nullable=False),
        sa.Column("parties", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
    )
    op.create_index("ix_dialogue_series_org_id", "dialogue_series", ["org_id"])
    op.create_table(
        "meetings",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("series_id", sa.String(40), sa.ForeignKey("dialogue_series.id"), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
    )
    op.create_index("ix_meetings_series_id", "meetings", ["series_id"])
    op.create_table(
        "action_items",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("series_id", sa.String(40), sa.ForeignKey("dialogue_series.id"), nullable=False),
        sa.Column("meeting_id", sa.String(40), sa.ForeignKey("meetings.id"), nullable=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("owner_org", sa.String(64), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("due", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("links", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('open','done','dropped')", name="status"),
    )
    op.create_index("ix_action_items_series_id", "action_items", ["series_id"])


def downgrade() -> None:
    op.drop_index("ix_action_items_series_id", table_name="action_items")
    op.drop_table("action_items")
    op.drop_index("ix_meetings_series_id", table_name="meetings")
    op.drop_table("meetings")
    op.drop_index("ix_dialogue_series_org_id", table_name="dialogue_series")
    op.drop_table("dialogue_series")
