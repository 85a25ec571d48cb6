"""Shared pieces of the `danvan` CLI: the console, error handling, option parsing."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

import typer
from rich.console import Console

from danvan_workflow.cli.vietnamese_usage import install as install_vietnamese_usage
from danvan_workflow.errors import ConfigErrors, UserError
from danvan_workflow.inputs import as_date

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError

    from danvan_workflow.commands.base import Command
    from danvan_workflow.settings import Settings

install_vietnamese_usage()  # click's usage errors and help headings, in Vietnamese

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound="Command")


# The CLI imports only what a command needs: `danvan --help` must not pay for SQLAlchemy,
# pydantic or Apprise. These two are the shared entry points, imported when called.
def get_settings() -> Settings:
    from danvan_workflow.settings import get_settings as settings

    return settings()


def parse_command(model: type[C], data: dict[str, Any]) -> C:
    from danvan_workflow.commands import parse_command as parse

    return parse(model, data)

# Tables stay readable when the output is a pipe or a file (rich would assume 80 columns).
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)


def fail(message: str) -> None:
    err_console.print(f"[bold red]Lỗi:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def user_errors(fn: F) -> F:
    """Show a UserError as a Vietnamese message without a traceback, exit 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigErrors as exc:
            err_console.print(f"[bold red]Cấu hình có {len(exc.problems)} lỗi:[/]")
            for p in exc.problems:
                err_console.print(f"  {p.render()}", highlight=False, soft_wrap=True)
            err_console.print("Không có thay đổi nào được ghi vào cơ sở dữ liệu.")
            raise typer.Exit(1) from None
        except UserError as exc:
            fail(exc.render())
        except Exception as exc:
            if not _is_dbapi_error(exc):
                raise
            if _missing_schema(exc):
                fail("cơ sở dữ liệu chưa được khởi tạo hoặc chưa nâng cấp: chạy "
                     "`danvan db upgrade` rồi `danvan config load`")
            if _unreachable(exc):
                fail("không kết nối được cơ sở dữ liệu (biến môi trường DANVAN_DATABASE_URL): "
                     "máy chủ không trả lời, từ chối kết nối hoặc sai tên đăng nhập; kiểm tra "
                     "máy chủ PostgreSQL đang chạy và địa chỉ, mật khẩu đúng")
            raise

    return wrapper  # type: ignore[return-value]


def _is_dbapi_error(exc: Exception) -> TypeGuard[DBAPIError]:
    """A database driver's error. If SQLAlchemy was never imported, it cannot be one."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.DBAPIError)


def _missing_schema(exc: DBAPIError) -> bool:
    """A table or column the migrations create is missing: the database was never upgraded."""
    text = str(exc.orig).lower()
    return any(k in text for k in ("no such table", "no such column", "does not exist"))


def _unreachable(exc: DBAPIError) -> bool:
    """The database server cannot be reached or refuses us (not a fault of the command)."""
    text = str(exc.orig).lower()
    return exc.connection_invalidated or any(k in text for k in (
        "connection failed", "connection refused", "could not connect", "unable to open",
        "password authentication failed", "could not translate host name", "timeout expired"))


def parse_date(value: str | None, field: str) -> dt.date | None:
    return as_date(value, field)


def stdout_utf8() -> None:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
