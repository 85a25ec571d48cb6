"""`danvan backup` / `danvan restore`: both databases (the product's and Prefect's)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from danvan_workflow.cli.app import console, fail, get_settings, user_errors
from danvan_workflow.timeutil import now


def _prefect_url() -> str:
    from danvan_workflow.engine import prefect_home

    return os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL") or \
        f"sqlite+aiosqlite:///{prefect_home() / 'prefect.db'}"


def _suffix(url: str) -> str:
    from danvan_workflow.db.backup import is_postgres

    return ".dump" if is_postgres(url) else ".sqlite"


@user_errors
def backup_cmd(
    folder: Annotated[Path | None, typer.Option("--dir", help="Thư mục lưu (mặc định: "
                                                 "<DANVAN_HOME>/backups)")] = None,
    prefect: Annotated[bool, typer.Option("--prefect/--no-prefect",
                                          help="Sao lưu cả lịch sử chạy của Prefect")] = True,
) -> None:
    """Sao lưu cơ sở dữ liệu (và dữ liệu Prefect) vào thư mục dữ liệu."""
    from danvan_workflow.db.backup import backup

    dest = folder or get_settings().home / "backups"
    stamp = now().strftime("%Y%m%d-%H%M%S")
    targets = [("danvan", get_settings().db_url)]
    if prefect:
        targets.append(("prefect", _prefect_url()))
    for name, url in targets:
        if name == "prefect" and not url.startswith("postgresql") and not Path(
                url.split(":///", 1)[-1]).exists():
            console.print("Chưa có dữ liệu Prefect để sao lưu (máy chủ chưa chạy lần nào).")
            continue
        done = backup(url, dest / f"{name}-{stamp}{_suffix(url)}")
        console.print(f"Đã sao lưu {name}: {done.path} ({done.size:,} byte).", highlight=False)


@user_errors
def restore_cmd(
    file: Annotated[Path, typer.Argument(help="Tệp sao lưu (.sqlite hoặc .dump)")],
    prefect: Annotated[bool, typer.Option("--prefect", help="Phục hồi dữ liệu Prefect thay vì "
                                          "cơ sở dữ liệu của danvan")] = False,
    confirm: Annotated[bool, typer.Option("--xac-nhan", help="Xác nhận ghi đè dữ liệu hiện có")
                       ] = False,
) -> None:
    """Phục hồi từ một bản sao lưu (ghi đè dữ liệu hiện có; dừng máy chủ và worker trước)."""
    from danvan_workflow.db.backup import restore

    url = _prefect_url() if prefect else get_settings().db_url
    if not confirm:
        fail(f"phục hồi sẽ ghi đè toàn bộ dữ liệu hiện có bằng {file}; dừng máy chủ và các "
             "worker, rồi chạy lại lệnh với --xac-nhan")
    restore(url, file)
    console.print(f"Đã phục hồi từ {file}. Chạy `danvan db upgrade` nếu bản sao lưu cũ hơn "
                  "phiên bản hiện tại.", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
