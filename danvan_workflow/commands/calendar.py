"""Inputs of `danvan calendar`. `check` only reads: its model is a query, not a write."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from danvan_workflow.commands.base import Command


class CheckCalendar(Command):
    """Which years in use have an unconfirmed holiday calendar (files and database)."""

    config_dir: Path | None = Field(None, title="Thư mục cấu hình")
