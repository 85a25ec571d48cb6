"""Plan phrases ("trước ngày 20/11 hằng năm", "định kỳ hằng quý", …) -> schedule rules.

`parse_phrase` returns a list because one phrase may name several periods
("6 tháng, 9 tháng và cuối năm"). Input is NFC-normalised, lower-cased,
"hàng" read as "hằng", and extra spaces and trailing punctuation ignored.
Unknown phrases raise `PhraseError`, whose message shows the structured YAML to
write instead.

Pure: no I/O.
"""

from __future__ import annotations

import re

from danvan_workflow.core.periods import PeriodKind
from danvan_workflow.core.rules import (
    ContinuousRule,
    EveryNMonthsRule,
    OnRequestRule,
    PeriodicRule,
    Rule,
    RuleError,
    parse_rule,
)
from danvan_workflow.core.vietnamese import nfc
from danvan_workflow.errors import UserError

__all__ = ["PhraseError", "normalise_phrase", "parse_phrase"]


class PhraseError(UserError, ValueError):
    """A plan phrase the parser does not understand (Vietnamese message)."""


_EXAMPLES = (
    "{kind: fixed, day: 20, month: 11, mode: before}  (trước ngày 20/11 hằng năm)",
    "{kind: fixed, day: 25, month: 7, year: 2023, mode: by}  (chậm nhất ngày 25/7/2023)",
    "{kind: periodic, period: month, basis: nd09, offset_kind: working_days, offset: 2}"
    "  (định kỳ hằng tháng)",
    "{kind: every_n_months, months: [3, 6]}  (sau 3 tháng, 6 tháng kể từ ngày bắt đầu)",
    "{kind: continuous}  (thường xuyên)",
    "{kind: on_request}  (khi có yêu cầu)",
)

_FIXED_RE = re.compile(
    r"^(?:(?P<before>trước)|(?P<by>chậm nhất|hạn chót|hạn cuối|đến|muộn nhất|không quá))"
    r"(?: là)?(?: ngày)? (?P<day>\d{1,2})\s?[/.-]\s?(?P<month>\d{1,2})"
    r"(?:\s?[/.-]\s?(?P<year>\d{4}))?"
    r"(?: (?:hằng|mỗi|các) năm)?$"
)
_CONTINUOUS_RE = re.compile(r"^(?:thực hiện )?(?:thường xuyên|liên tục)(?: hằng năm)?$")
_ON_REQUEST_RE = re.compile(
    r"^(?:đột xuất(?: khi| theo)?|khi|theo)? ?(?:có )?(?:văn bản )?yêu cầu$|^đột xuất$"
)
_LEADING = re.compile(r"^(?:báo cáo |thực hiện |tổ chức |sơ kết |tổng kết )?(?:định kỳ )?")

# One item of a period list, after "định kỳ"/"hằng" are stripped.
_ITEM_PERIODS: dict[str, PeriodKind] = {
    "tháng": "month",
    "hằng tháng": "month",
    "mỗi tháng": "month",
    "quý": "quarter",
    "hằng quý": "quarter",
    "mỗi quý": "quarter",
    "3 tháng": "quarter",
    "6 tháng": "half_year",
    "sáu tháng": "half_year",
    "6 tháng đầu năm": "half_year",
    "nửa năm": "half_year",
    "9 tháng": "nine_months",
    "chín tháng": "nine_months",
    "năm": "year",
    "hằng năm": "year",
    "mỗi năm": "year",
    "cuối năm": "year",
    "cả năm": "year",
    "1 năm": "year",
    "một năm": "year",
    "12 tháng": "year",
}
_N_MONTHS_RE = re.compile(r"^(?:sau )?(\d{1,3}) tháng$")


def normalise_phrase(text: str) -> str:
    """NFC, lower case, 'hàng' -> 'hằng', single spaces, no trailing punctuation."""
    s = nfc(text).lower()
    s = re.sub(r"\bhàng\b", "hằng", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = s.strip(" .;:!()\"'“”")
    return s


def _error(text: str, detail: str | None = None) -> PhraseError:
    head = f"Không hiểu cụm từ thời hạn “{nfc(text).strip()}”"
    if detail:
        head += f": {detail}"
    return PhraseError(
        head
        + ". Hãy ghi lịch ở dạng có cấu trúc (khóa 'rule:'), ví dụ:\n  "
        + "\n  ".join(_EXAMPLES)
    )


def _fixed(text: str, s: str) -> list[Rule] | None:
    m = _FIXED_RE.match(s)
    if m is None:
        return None
    data: dict[str, object] = {
        "kind": "fixed",
        "day": int(m["day"]),
        "month": int(m["month"]),
        "mode": "before" if m["before"] else "by",
    }
    if m["year"]:
        data["year"] = int(m["year"])
    try:
        return [parse_rule(data)]
    except RuleError as err:
        raise _error(text, err.message) from None


def _periods(s: str, default_offset: int) -> list[Rule] | None:
    body = _LEADING.sub("", s, count=1)
    items = [x.strip() for x in re.split(r",|;| và | hoặc |/", body) if x.strip()]
    if not items:
        return None
    items = [re.sub(r"^(?:định kỳ|báo cáo) ", "", x) for x in items]
    # "3 tháng, 6 tháng": months counted from a start date, not reporting periods.
    counts = [_N_MONTHS_RE.match(x) for x in items]
    if len(items) > 1 and all(counts):
        values = [int(m.group(1)) for m in counts if m is not None]
        if any(v not in (6, 9) for v in values):
            return [EveryNMonthsRule(months=tuple(sorted(set(values))))]
    kinds: list[PeriodKind] = []
    for item in items:
        kind = _ITEM_PERIODS.get(item)
        if kind is None:
            return None
        if kind not in kinds:
            kinds.append(kind)
    # "6 tháng và cuối năm": the yearly report covers the second half, so the
    # 6-month report is the first half only.
    first_half_only = "half_year" in kinds and "year" in kinds
    return [
        PeriodicRule(
            period=k, basis="nd09", offset_kind="working_days", offset=default_offset,
            indices=(1,) if k == "half_year" and first_half_only else None,
        )
        for k in kinds
    ]


def parse_phrase(text: str, *, default_offset: int = 2) -> list[Rule]:
    """Rules for a plan phrase. Periodic phrases get ND09 periods and `default_offset`
    working days after the cut-off. Raises `PhraseError` for an unknown phrase."""
    if default_offset < 0:
        raise ValueError("default_offset must be >= 0")
    s = normalise_phrase(text)
    if not s:
        raise _error(text, "cụm từ trống")
    if _CONTINUOUS_RE.match(s):
        return [ContinuousRule()]
    if _ON_REQUEST_RE.match(s):
        return [OnRequestRule()]
    fixed = _fixed(text, s)
    if fixed is not None:
        return fixed
    periodic = _periods(s, default_offset)
    if periodic is not None:
        return periodic
    m = re.search(r"(\d{1,2})\s?/\s?(\d{1,2})", s)
    if m:
        day, month = int(m.group(1)), int(m.group(2))
        raise _error(
            text,
            "có ngày tháng nhưng không rõ là 'trước ngày' hay 'chậm nhất ngày' — ghi "
            f"{{kind: fixed, day: {day}, month: {month}, mode: before}} hoặc "
            f"{{kind: fixed, day: {day}, month: {month}, mode: by}}",
        )
    raise _error(text)
