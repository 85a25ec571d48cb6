"""Use case "roll a plan into next year": write the draft plan file, end the old plan.

The draft is written next to the old file (`plans/<name>-<year>.yaml`) and the whole
configuration folder is validated with it before anything stays on disk: a draft the
loader would refuse is removed again and the old file restored, and the operator gets
the loader's message (file and line). Nothing reaches the database here: the operator
reads the draft, puts in the new plan's number and date, then runs `danvan config
load` (which materialises the new year's deadlines and, for an old plan that recurred,
cancels the ones it had planned past its new end).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from danvan_workflow.commands.archive import RollPlan
from danvan_workflow.configuration.loader import load_config
from danvan_workflow.configuration.rollover import draft_code, end_before, roll_text
from danvan_workflow.core.vietnamese import nfc
from danvan_workflow.errors import UserError


@dataclass(frozen=True)
class RollResult:
    code: str
    year: int
    draft_code: str
    draft_file: Path
    old_file: Path
    old_ended_on: dt.date | None  # set when the old plan had to stop before `year`

    @property
    def message(self) -> str:
        lines = [f"Đã tạo dự thảo kế hoạch năm {self.year} ({self.draft_code}) từ kế hoạch "
                 f"{self.code}: {self.draft_file}"]
        if self.old_ended_on:
            lines.append(f"Kế hoạch {self.code} kết thúc ngày {self.old_ended_on:%d/%m/%Y} "
                         f"(đã ghi vào {self.old_file.name}) để không trùng nhiệm vụ năm "
                         f"{self.year}.")
        lines.append("Việc tiếp theo: mở tệp dự thảo, thay mã bằng số kế hoạch mới, ghi ngày "
                     "ban hành, đối chiếu các ngày; rồi chạy `danvan config load`.")
        return nfc("\n".join(lines))


def roll_plan(cmd: RollPlan, config_dir: Path) -> RollResult:
    bundle = load_config(config_dir)  # refuses a folder that does not load today
    found = next((p for p in bundle.plans if p.model.plan.code == cmd.code), None)
    if found is None:
        known = ", ".join(sorted(p.model.plan.code for p in bundle.plans))
        raise UserError(f"không có kế hoạch số '{cmd.code}' trong thư mục cấu hình "
                        f"(có: {known})", field="code")
    old_year = found.model.plan.year
    if cmd.year <= old_year:
        raise UserError(f"năm của kế hoạch mới phải sau năm {old_year} của kế hoạch "
                        f"{cmd.code}", field="--year")
    new_code = draft_code(cmd.code, cmd.year)
    if any(p.model.plan.code == new_code for p in bundle.plans):
        raise UserError(f"đã có dự thảo {new_code}; sửa hoặc xóa tệp đó trước khi tạo lại",
                        field="code")
    old_file = found.doc.path
    stem = old_file.stem.replace(str(old_year), "").strip("-_") or old_file.stem
    target = old_file.with_name(f"{stem}-{cmd.year}.yaml")
    if target.exists():
        raise UserError("tệp đã có, không ghi đè", file=str(target))
    text = old_file.read_text(encoding="utf-8-sig")
    draft = roll_text(text, cmd.year)
    ended = end_before(text, cmd.year)
    target.write_text(draft, encoding="utf-8")
    if ended is not None:
        old_file.write_text(ended, encoding="utf-8")
    try:
        load_config(config_dir)  # the folder with the draft still loads
    except UserError:
        target.unlink()
        old_file.write_text(text, encoding="utf-8")
        raise
    return RollResult(cmd.code, cmd.year, new_code, target, old_file,
                      dt.date(cmd.year - 1, 12, 31) if ended is not None else None)
