"""Watch: indicator series, alerts with their states and timeline, deliveries.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allychain.store.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_indicators",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("series", sa.String(300), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("freq", sa.String(1), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("flow", sa.String(10), nullable=False),
        sa.Column("reporter", sa.String(3), nullable=False),
        sa.Column("partner", sa.String(3), nullable=False),
        sa.Column("hs_code", sa.String(6), nullable=False),
        sa.Column("item", sa.String(500), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("series", "freq", "date", name="uq_watch_indicators_series_freq_date"),
    )
    op.create_index("ix_watch_indicators_series", "watch_indicators", ["series"])
    op.create_table(
        "watch_alerts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("series", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("first_detected", sa.String(10), nullable=False),
        sa.Column("last_detected", sa.String(10), nullable=False),
        sa.Column("sightings", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("state_at", UTCDateTime(), nullable=False),
        sa.Column("state_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("incident_id", sa.String(40), sa.ForeignKey("incidents.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.CheckConstraint("state IN ('open','acknowledged','dismissed','escalated')", name="state"),
        sa.CheckConstraint("severity IN ('low','medium','high')", name="severity"),
    )
    op.create_index("ix_watch_alerts_event_id", "watch_alerts", ["event_id"])
    op.create_index("ix_watch_alerts_series", "watch_alerts", ["series"])
    op.create_index("ix_watch_alerts_state_last_detected", "watch_alerts", ["state", "last_detected"])
    op.create_table(
        "watch_alert_events",
        sa.Column("alert_id", sa.String(40), sa.ForeignKey("watch_alerts.id"), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_table(
        "watch_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(40), sa.ForeignKey("watch_alerts.id"), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.CheckConstraint("channel IN ('webhook','email')", name="channel"),
        sa.CheckConstraint("status IN ('delivered','failed')", name="status"),
    )
    op.create_index("ix_watch_deliveries_alert_id", "watch_deliveries", ["alert_id"])


def downgrade() -> None:
    op.drop_index("ix_watch_deliveries_alert_id", table_name="watch_deliveries")
    op.drop_table("watch_deliveries")
    op.drop_table("watch_alert_events")
    for ix in ("ix_watch_alerts_state_last_detected", "ix_watch_alerts_series", "ix_watch_alerts_event_id"):
        op.drop_index(ix, table_name="watch_alerts")
    op.drop_table("watch_alerts")
    op.drop_index("ix_watch_indicators_series", table_name="watch_indicators")
    op.drop_table("watch_indicators")
