"""`danvan up` and `danvan deploy`: run the engine (Prefect server + flows)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from danvan_workflow.cli.app import console, user_errors


def register(app: typer.Typer) -> None:
    @app.command("up")
    @user_errors
    def up(
        port: Annotated[int, typer.Option(help="Cổng của máy chủ Prefect")] = 4200,
        host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe")] = "127.0.0.1",
        no_server: Annotated[bool, typer.Option(
            "--no-server", help="Dùng máy chủ Prefect có sẵn (PREFECT_API_URL)")] = False,
        limit: Annotated[int | None, typer.Option(help="Số lượt chạy song song tối đa")] = None,
    ) -> None:
        """Khởi động máy chủ Prefect và chạy các quy trình theo lịch (Ctrl-C để dừng)."""
        from danvan_workflow import engine

        engine.up(port=port, host=host, no_server=no_server, limit=limit)

    @app.command("deploy")
    @user_errors
    def deploy(
        pool: Annotated[str, typer.Option(help="Tên work pool (loại process)")],
        project_dir: Annotated[Path | None, typer.Option(
            help="Thư mục dự án trên máy worker (mặc định: thư mục này)")] = None,
    ) -> None:
        """Đăng ký các quy trình vào một work pool để chạy bằng `prefect worker start`."""
        from danvan_workflow import engine

        names = engine.deploy(pool, project_dir)
        for n in names:
            console.print(f"  • {n}", highlight=False)
        console.print(f"Đã đăng ký {len(names)} quy trình vào work pool '{pool}'. "
                      f"Trên mỗi máy: prefect worker start --pool {pool} --type process")
        beat = engine.heartbeat_seconds()
        console.print(f"Lượt chạy gửi heartbeat mỗi {beat} giây; lượt chạy mất heartbeat quá "
                      f"{engine.MISSED_HEARTBEATS * beat} giây được đánh dấu Crashed "
                      f"(automation '{engine.CRASH_AUTOMATION_NAME}').", highlight=False)
