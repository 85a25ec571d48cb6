"""Use case "import units and focal points from the Excel template".

The workbook becomes `config/units/<name>.yaml` and `config/contacts/<name>.yaml`
(<name> from the workbook's file name) and the configuration is loaded: one
transaction, like any `config load`, so the units and contacts stay configuration
(the next load keeps them; importing the same workbook again replaces its two files,
and what left the workbook is archived, not deleted). A workbook with problems
writes nothing and reports each one as sheet:row:column; if the load refuses
anyway, the two files are put back as they were.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from danvan_workflow.commands.archive import ImportWorkbook
from danvan_workflow.configuration.loader import load_config
from danvan_workflow.configuration.workbook import read_workbook, to_yaml, write_template
from danvan_workflow.core.vietnamese import nfc
from danvan_workflow.errors import UserError
from danvan_workflow.services import config
from danvan_workflow.services.output_files import output_file


@dataclass(frozen=True)
class ImportResult:
    units: int
    contacts: int
    units_file: Path
    contacts_file: Path
    changes: str

    @property
    def message(self) -> str:
        return nfc(f"Đã nạp {self.units} đơn vị và {self.contacts} đầu mối "
                   f"({self.units_file.name}, {self.contacts_file.name}). {self.changes}")


def _slug(stem: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", stem.replace("đ", "d").replace("Đ", "D"))
    ascii_ = ascii_.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-") or "nhap-tu-excel"


def template(path: Path) -> Path:
    """Write the empty template (`danvan units template`)."""
    output_file(path, ".xlsx")
    try:
        write_template(path)
    except OSError:
        raise UserError("không ghi được tệp", file=str(path)) from None
    return path


def import_workbook(cmd: ImportWorkbook, config_dir: Path) -> ImportResult:
    path = Path(cmd.path)
    if not path.is_file():
        raise UserError("không tìm thấy tệp", file=str(path))
    name = _slug(path.stem)
    units_file = config_dir / "units" / f"{name}.yaml"
    contacts_file = config_dir / "contacts" / f"{name}.yaml"
    bundle = load_config(config_dir)  # a folder that does not load today is refused first
    mine = {f"units/{name}.yaml", f"contacts/{name}.yaml"}
    known_units = {u.code for u, at in bundle.units if at.file not in mine}
    known_contacts = {c.code for c, at in bundle.contacts if at.file not in mine}
    data = read_workbook(path, known_units, known_contacts, {c.code for c in bundle.channels})
    if data.problems:
        raise UserError(nfc(f"tệp {path.name} có {len(data.problems)} lỗi, chưa nạp gì:\n  "
                            + "\n  ".join(data.problems)))
    if not data.units and not data.contacts:
        raise UserError(f"tệp {path.name} chưa có dòng nào", file=str(path))
    before = {f: f.read_text(encoding="utf-8") if f.exists() else None
              for f in (units_file, contacts_file)}
    try:
        units_file.parent.mkdir(parents=True, exist_ok=True)
        contacts_file.parent.mkdir(parents=True, exist_ok=True)
        units_file.write_text(to_yaml("units", data.units, path.name), encoding="utf-8")
        if data.contacts:
            contacts_file.write_text(to_yaml("contacts", data.contacts, path.name),
                                     encoding="utf-8")
        res = config.load(config_dir, actor=cmd.operator)
    except BaseException:
        for f, text in before.items():  # as they were
            if text is None:
                f.unlink(missing_ok=True)
            else:
                f.write_text(text, encoding="utf-8")
        raise
    words = []
    for table, word in (("units", "Đơn vị"), ("contacts", "Đầu mối")):
        ch = res.report.of(table)
        words.append(f"{word}: thêm {len(ch.added)}, sửa {len(ch.changed)}, lưu trữ "
                     f"{len(ch.archived)}")
    return ImportResult(len(data.units), len(data.contacts), units_file, contacts_file,
                        "; ".join(words) + ".")
