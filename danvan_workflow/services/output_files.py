"""Where an export is written: the one check of the file name the operator gave."""

from __future__ import annotations

from pathlib import Path

from danvan_workflow.errors import UserError


def output_file(path: Path, suffix: str) -> Path:
    """`path` when it ends in `suffix` (".docx", ".xlsx") and its folder exists."""
    if path.suffix.lower() != suffix:
        raise UserError(f"tên tệp phải có đuôi {suffix}", field="--output")
    if not path.parent.is_dir():
        raise UserError("không có thư mục để ghi tệp", file=str(path.parent))
    return path
