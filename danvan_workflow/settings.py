"""Settings from the environment and an optional `config/danvan.toml`.

Environment wins over the file. Secrets are never read here: channel URLs name
environment variables that are resolved only when a message is sent.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from danvan_workflow.errors import UserError


class EngineSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    horizon_years: int = Field(1, ge=0, le=5)
    due_time: dt.time = dt.time(23, 59)
    # How an every_n_months due date (a period counted in months) leaves a day off
    # when its rule sets no `shift`: the next working day (Bộ luật Dân sự 2015, Điều 148).
    by_shift: Literal["previous", "next"] = "next"
    default_offset_working_days: int = Field(2, ge=0, le=60)
    lease_seconds: int = Field(300, ge=10)
    dispatch_batch: int = Field(500, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DANVAN_", extra="ignore",
                                      env_nested_delimiter="__")

    home: Path = Path("./var")
    database_url: str | None = None
    config_dir: Path = Path("./config")
    operator: str = "cli"
    engine: EngineSettings = Field(default_factory=lambda: EngineSettings.model_validate({}))

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'danvan.db').resolve()}"


def _read_toml(config_dir: Path) -> dict[str, object]:
    path = config_dir / "danvan.toml"
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"tệp TOML không hợp lệ: {exc}", file=str(path)) from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    base = Settings()
    data = _read_toml(base.config_dir)
    engine = data.get("engine", {})
    if engine and isinstance(engine, dict):
        # the environment (DANVAN_ENGINE__LEASE_SECONDS...) wins over the file
        engine = {**engine, **base.engine.model_dump(exclude_unset=True)}
        try:
            base.engine = EngineSettings.model_validate(engine)
        except Exception as exc:  # pydantic ValidationError
            raise UserError(
                f"mục [engine] không hợp lệ: {exc}", file=str(base.config_dir / "danvan.toml")
            ) from exc
    base.home.mkdir(parents=True, exist_ok=True)
    return base


def reset_settings() -> None:
    get_settings.cache_clear()
