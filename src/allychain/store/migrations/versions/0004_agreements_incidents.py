"""Agreements on key items (versioned) and incidents with their timeline.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allychain.store.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("org_id", sa.String(64), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.CheckConstraint("status IN ('draft','in_force','expired','suspended')", name="status"),
    )
    op.create_index("ix_agreements_org_id", "agreements", ["org_id"])
    op.create_table(
        "agreement_versions",
        sa.Column("agreement_id", sa.String(40), sa.ForeignKey("agreements.id"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("org_id", sa.String(64), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.CheckConstraint("state IN ('open','assessed','responding','closed')", name="state"),
    )
    op.create_index("ix_incidents_org_id", "incidents", ["org_id"])
    op.create_table(
        "incident_events",
        sa.Column("incident_id", sa.String(40), sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("incident_events")
    op.drop_index("ix_incidents_org_id", table_name="incidents")
    op.drop_table("incidents")
    op.drop_table("agreement_versions")
    op.drop_index("ix_agreements_org_id", table_name="agreements")
    op.drop_table("agreements")
