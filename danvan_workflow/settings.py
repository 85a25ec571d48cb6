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

from pydantic import BaseModel, ConfigDict, Field, ValidationError
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


def _problem(err: object) -> str:
    """One pydantic error in words, without the value (it may be a secret)."""
    from danvan_workflow.configuration.messages import vi_message

    return vi_message(dict(err))  # type: ignore[call-overload]


def _from_environment() -> Settings:
    """The settings, or a Vietnamese error naming the environment variable at fault."""
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        var = "DANVAN_" + "__".join(str(x) for x in err["loc"]).upper()
        raise UserError(f"biến môi trường {var} không hợp lệ: {_problem(err)}") from None


def _check_database_url(url: str) -> None:
    scheme = url.split(":", 1)[0].lower()
    if "://" not in url or scheme.split("+")[0] not in ("sqlite", "postgresql", "postgres"):
        raise UserError("biến môi trường DANVAN_DATABASE_URL phải là địa chỉ sqlite:///… "
                        "hoặc postgresql://…")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    base = _from_environment()
    if base.database_url:
        _check_database_url(base.database_url)
    data = _read_toml(base.config_dir)
    engine = data.get("engine", {})
    if engine and isinstance(engine, dict):
        # the environment (DANVAN_ENGINE__LEASE_SECONDS...) wins over the file
        engine = {**engine, **base.engine.model_dump(exclude_unset=True)}
        try:
            base.engine = EngineSettings.model_validate(engine)
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(x) for x in err["loc"])
            raise UserError(f"mục [engine] khóa '{key}' không hợp lệ: {_problem(err)}",
                            file=str(base.config_dir / "danvan.toml")) from None
    try:
        base.home.mkdir(parents=True, exist_ok=True)
    except OSError:
        raise UserError(f"biến môi trường DANVAN_HOME chỉ tới '{base.home}': không tạo hoặc "
                        "không dùng được làm thư mục dữ liệu") from None
    return base


def reset_settings() -> None:
    get_settings.cache_clear()
