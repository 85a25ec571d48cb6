"""Roll a plan file into a new year: the draft of next year's plan, from this year's.

Offices re-issue the same plan every year with new dates ("Kế hoạch … năm 2027"). The
draft keeps everything that does not depend on the year (tasks, units, obligations,
reminder ladders, quotas, scorecard) and moves what does:

* `plan.year`, and every date anywhere in the file (validity, rule dates, fixed
  cut-offs) by the same number of years (29/02 becomes 28/02);
* the year written in texts that name it (titles, obligation codes such as
  `cl2024-units-year`): the old year as a whole number becomes the new one;
* the code becomes `DT-<year>-<old code>` (DT: dự thảo) and `issued_on` is emptied,
  until the office's new plan gives its number and date; `assumed` says so.

The old plan must stop where the new one starts, or both would produce the same
duties: a plan that `recurs` (or whose validity runs past its year) gets
`valid_until: 31/12/<year before>` (`end_before`), written into its own file.

Pure text transforms (ruamel round-trip keeps comments and layout); the service
(`services/rollover.py`) reads and writes the files.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from danvan_workflow.core.vietnamese import nfc

DRAFT_PREFIX = "DT"
#: fields whose text keeps the old year on purpose (the source document, notes on it)
KEEP_TEXT = {"source", "note"}


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.width = 4096  # long texts stay on one line, as the files are written
    y.indent(mapping=2, sequence=4, offset=2)  # "  - item", as the files are written
    y.preserve_quotes = True
    y.representer.add_representer(
        type(None), lambda r, _v: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return y


def _shift(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29/02 into a common year
        return day.replace(year=day.year + years, day=28)


def _retext(text: str, old: int, new: int) -> str:
    return re.sub(rf"(?<!\d){old}(?!\d)", str(new), text)


def _walk(node: Any, old: int, new: int, key: str | None = None) -> Any:
    years = new - old
    if isinstance(node, CommentedMap):
        for k in list(node):
            node[k] = _walk(node[k], old, new, str(k))
        return node
    if isinstance(node, CommentedSeq):
        for i, item in enumerate(node):
            node[i] = _walk(item, old, new, key)
        return node
    if isinstance(node, dt.datetime):
        return node
    if isinstance(node, dt.date):
        return _shift(node, years)
    if isinstance(node, bool):
        return node
    if isinstance(node, int) and key == "year":
        return node + years
    if isinstance(node, str) and key not in KEEP_TEXT:
        changed = _retext(node, old, new)
        return type(node)(changed) if changed != node else node  # keeps the quoting style
    return node


def plan_year(text: str) -> tuple[str, int]:
    """The plan's code and year in a plan file's text."""
    data = _yaml().load(text)
    plan = data["plan"]
    return str(plan["code"]), int(plan["year"])


def draft_code(code: str, year: int) -> str:
    return f"{DRAFT_PREFIX}-{year}-{code}"


def roll_text(text: str, year: int) -> str:
    """The draft of the plan in `text` for `year` (see the module docstring)."""
    y = _yaml()
    data = y.load(text)
    plan = data["plan"]
    old_code, old_year = str(plan["code"]), int(plan["year"])
    assumed_before = list(plan.get("assumed") or [])
    for section in list(data):
        if section == "plan":
            continue
        data[section] = _walk(data[section], old_year, year, section)
    for k in list(plan):
        if k in ("code", "assumed", "issued_on", "source", "recurs"):
            continue
        plan[k] = _walk(plan[k], old_year, year, str(k))
    plan["code"] = draft_code(old_code, year)
    plan["issued_on"] = None
    if plan.get("recurs"):
        plan["recurs"] = False  # the new year's plan is that year's; next year rolls again
    plan["assumed"] = CommentedSeq([nfc(
        f"dự thảo chuyển từ kế hoạch {old_code} năm {old_year} sang năm {year}: thay mã "
        f"bằng số kế hoạch mới và ghi ngày ban hành khi có văn bản; các ngày đã dời "
        f"{year - old_year} năm, cần đối chiếu với văn bản mới")]
        + [nfc(f"(theo kế hoạch {old_year}) {a}") for a in assumed_before])
    out = io.StringIO()
    head = nfc(f"# DỰ THẢO kế hoạch năm {year}, chuyển từ kế hoạch {old_code} năm "
               f"{old_year} bằng `danvan plans roll`.\n")
    y.dump(data, out)
    return head + out.getvalue()


def end_before(text: str, year: int) -> str | None:
    """The old plan's text with `valid_until: <year - 1>-12-31` when it would otherwise go
    on into `year` (it recurs, or its validity ends later); None when it already stops.

    A line edit, not a re-dump: the office's file keeps its layout and comments; the
    change is explained by a comment line above it.
    """
    plan = _yaml().load(text)["plan"]
    last = dt.date(year - 1, 12, 31)
    until = plan.get("valid_until")
    runs_on = bool(plan.get("recurs")) and until is None
    if not runs_on and (until is None or until <= last):
        return None
    lines = text.splitlines(keepends=True)
    begin = next(i for i, x in enumerate(lines) if re.match(r"plan:\s*(#.*)?$", x))
    end = next((i for i in range(begin + 1, len(lines))
                if re.match(r"[^\s#]", lines[i])), len(lines))
    block = [x for x in lines[begin + 1:end]
             if not re.match(r"\s+(recurs|valid_until):", x)]  # `recurs` ends here
    indent = next((re.match(r"(\s+)", x).group(1) for x in block  # type: ignore[union-attr]
                   if re.match(r"\s+year:", x)), "  ")
    at = next((i + 1 for i, x in enumerate(block) if re.match(r"\s+year:", x)), 0)
    note = nfc(f"{indent}# {last:%d/%m/%Y}: kế hoạch kết thúc, từ năm {year} thay bằng kế hoạch "
               f"năm {year} (dự thảo {draft_code(str(plan['code']), year)}, danvan plans "
               f"roll)\n")
    block[at:at] = [note, f"{indent}valid_until: {last.isoformat()}\n"]
    return "".join(lines[:begin + 1] + block + lines[end:])
