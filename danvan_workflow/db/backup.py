"""Backups that restore: SQLite through its online backup API, PostgreSQL through
pg_dump/pg_restore (custom format).

A backup is written to a temporary name and renamed only when it is complete and not
empty, so a failed dump never leaves a file that looks like a backup. Passwords go to
the PostgreSQL tools through PGPASSWORD, never on the command line (where `ps` shows
them), and never into an error message.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from danvan_workflow.errors import UserError


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without its password (dropping '+asyncpg'/'+psycopg'), and the env."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_path(url: str) -> Path:
    db = make_url(url).database
    if not db or db == ":memory:":
        raise UserError("cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu được", field="database")
    return Path(db)


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def backup(url: str, dest: Path) -> BackupFile:
    """Write a complete backup of the database at `url` to `dest` (never an empty file)."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"không tạo được thư mục sao lưu '{dest.parent}': {exc.strerror}",
                        field="--dir") from None
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    try:
        if is_postgres(url):
            target, env = _libpq(url)
            proc = subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(tmp), "-d", target],
                                  env=env, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise UserError("pg_dump không sao lưu được: " + _first_line(proc.stderr),
                                field="database")
        else:
            src_path = _sqlite_path(url)
            if not src_path.exists():
                raise UserError(f"không có tệp cơ sở dữ liệu {src_path}", field="database")
            with sqlite3.connect(src_path) as src, sqlite3.connect(tmp) as dst:
                src.backup(dst)
            dst.close()
        size = tmp.stat().st_size if tmp.exists() else 0
        if size == 0:
            raise UserError("bản sao lưu rỗng: không ghi tệp", field="database")
        tmp.replace(dest)
        return BackupFile(dest, size)
    finally:
        tmp.unlink(missing_ok=True)


def restore(url: str, source: Path) -> None:
    """Replace the content of the database at `url` with the backup `source`."""
    if not source.is_file() or source.stat().st_size == 0:
        raise UserError(f"không có tệp sao lưu hợp lệ: {source}", field="file")
    if is_postgres(url):
        target, env = _libpq(url)
        proc = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner",
                               "--single-transaction", "-d", target, str(source)],
                              env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise UserError("pg_restore không phục hồi được: " + _first_line(proc.stderr),
                            field="file")
        return
    path = _sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src:
        ok = src.execute("PRAGMA integrity_check").fetchone()
        if not ok or ok[0] != "ok":
            raise UserError(f"tệp sao lưu {source} bị hỏng", field="file")
        with sqlite3.connect(path) as dst:
            src.backup(dst)
        dst.close()


def tools_available() -> bool:
    return shutil.which("pg_dump") is not None and shutil.which("pg_restore") is not None


def _first_line(text: str) -> str:
    """The tool's first error line, with anything that looks like a URL password removed."""
    line = next((x for x in (text or "").splitlines() if x.strip()), "lỗi không rõ")
    return line.split("password=")[0].strip()
