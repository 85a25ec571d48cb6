"""Plan phrases ("trước ngày 20/11 hằng năm", "định kỳ hằng quý", …) -> schedule rules.

`parse_phrase` returns a list because one phrase may name several periods
("6 tháng, 9 tháng và cuối năm"). Input is NFC-normalised, lower-cased,
"hàng" read as "hằng", leading zeros dropped ("06 tháng", "05/02"), and extra
spaces, brackets and trailing punctuation ignored.
A phrase that names no deadline ("theo quy định", "kịp thời") or that the parser
does not understand raises `PhraseError`, whose message shows the structured
YAML to write instead; any rule it suggests is a valid one.

Pure: no I/O.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from danvan_workflow.core.periods import PeriodKind
from danvan_workflow.core.rules import (
    ContinuousRule,
    EveryNMonthsRule,
    OnRequestRule,
    PeriodicRule,
    Rule,
    RuleError,
    WindowRule,
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
    "{kind: monthly_day, day: 25, mode: before}  (trước ngày 25 hằng tháng)",
    "{kind: periodic, period: month, basis: nd09, offset_kind: working_days, offset: 2}"
    "  (định kỳ hằng tháng)",
    "{kind: every_n_months, months: [3, 6]}  (sau 3 tháng, 6 tháng kể từ ngày bắt đầu)",
    "{kind: window, start: 2025-01-01, end: 2025-12-31}  (trong năm 2025)",
    "{kind: continuous}  (thường xuyên)",
    "{kind: on_request}  (khi có yêu cầu)",
)

_MODE = (
    r"^(?:(?P<before>trước)|(?P<by>chậm nhất|hạn chót|hạn cuối|đến|muộn nhất|không quá))"
    r"(?: là)?(?: ngày)? "
)
_FIXED_RE = re.compile(
    _MODE + r"(?P<day>\d{1,2}) ?[/.-] ?(?P<month>\d{1,2})"
    r"(?: ?[/.-] ?(?P<year>\d{4}))?"
    r"(?: (?:hằng|mỗi|các) năm)?$"
)
_MONTHLY_RE = re.compile(_MODE + r"(?P<day>\d{1,2}) (?:hằng|mỗi|các) tháng$")
_CONTINUOUS_RE = re.compile(r"^(?:thực hiện )?(?:thường xuyên|liên tục)(?: hằng năm)?$")
_ON_REQUEST_RE = re.compile(
    r"^(?:thực hiện |báo cáo )?(?:đột xuất ?)?(?:khi |theo )?(?:có )?(?:văn bản )?yêu cầu"
    r"(?: của .+)?$|^(?:báo cáo )?đột xuất$"
)
_YEAR_WINDOW_RE = re.compile(r"^(?:trong|vào)(?: cả)? năm (?P<year>\d{4})$")
_MONTH_WINDOW_RE = re.compile(
    r"^(?:trong|vào) tháng (?P<month>\d{1,2})(?: ?/ ?| năm )(?P<year>\d{4})$"
)
_LEADING = re.compile(r"^(?:báo cáo |thực hiện |tổ chức |sơ kết |tổng kết )?(?:định kỳ )?")
_YEAR_SUFFIX = re.compile(r"^(?P<body>.+ năm) (?P<year>\d{4})$")
_NO_DEADLINE_TAIL = re.compile(r" theo (?:đúng )?quy định$")

# One item of a period list, after "định kỳ"/"báo cáo" are stripped.
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
# Items that name one half of the year (the report's period index).
_ITEM_HALVES: dict[str, int] = {
    "6 tháng đầu năm": 1,
    "sáu tháng đầu năm": 1,
    "6 tháng cuối năm": 2,
    "sáu tháng cuối năm": 2,
}
# Items that are reports made when asked ("báo cáo chuyên đề (nếu có)").
_ITEM_ON_REQUEST = ("chuyên đề", "chuyên đề nếu có")
_N_MONTHS_RE = re.compile(r"^(?:sau )?(\d{1,3}) tháng$")

# Period words found inside a longer sentence, for suggestions only.
_PERIOD_HINTS: dict[str, PeriodKind] = {
    "hằng tháng": "month",
    "mỗi tháng": "month",
    "hằng quý": "quarter",
    "mỗi quý": "quarter",
    "6 tháng": "half_year",
    "sáu tháng": "half_year",
    "9 tháng": "nine_months",
    "chín tháng": "nine_months",
    "hằng năm": "year",
    "cuối năm": "year",
    "báo cáo năm": "year",
    "tổng kết năm": "year",
}


def normalise_phrase(text: str) -> str:
    """NFC, lower case, 'hàng' -> 'hằng', no leading zeros, single spaces, no brackets
    or trailing punctuation; 'ngày 25 tháng 7 năm 2023' -> 'ngày 25/7/2023'."""
    s = nfc(text).lower()
    s = re.sub(r"\bhàng\b", "hằng", s)
    s = re.sub(r"[()\[\]]", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = s.strip(" .,;:!\"'“”")
    s = re.sub(r"(?<!\d)0+(?=\d)", "", s)
    s = re.sub(r"\bngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})\b", r"ngày \1/\2/\3", s)
    s = re.sub(r"\bngày (\d{1,2}) tháng (\d{1,2})\b", r"ngày \1/\2", s)
    s = re.sub(r"\b(\d{1,2} ?/ ?\d{1,2}) năm (\d{4})\b", r"\1/\2", s)
    return s


def _error(text: str, detail: str | None = None, *, no_deadline: bool = False) -> PhraseError:
    quoted = f"“{nfc(text).strip()}”"
    if no_deadline:
        head = f"Cụm từ thời hạn {quoted} không nêu hạn cụ thể"
    else:
        head = f"Không hiểu cụm từ thời hạn {quoted}"
    if detail:
        head += f": {detail}"
    return PhraseError(
        head
        + ". Hãy ghi lịch ở dạng có cấu trúc (khóa 'rule:'), ví dụ:\n  "
        + "\n  ".join(_EXAMPLES)
    )


def _flow(data: dict[str, object]) -> str:
    """A rule mapping as YAML flow text: {kind: fixed, day: 20, month: 11, mode: before}."""
    parts = []
    for key, value in data.items():
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        parts.append(f"{key}: {text}")
    return "{" + ", ".join(parts) + "}"


def _suggest(data: dict[str, object]) -> str | None:
    """`data` as flow text when it is a valid rule, else None: never suggest a bad rule."""
    try:
        parse_rule(data)
    except RuleError:
        return None
    return _flow(data)


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


def _monthly(text: str, s: str) -> list[Rule] | None:
    m = _MONTHLY_RE.match(s)
    if m is None:
        return None
    data = {"kind": "monthly_day", "day": int(m["day"]), "mode": "before" if m["before"] else "by"}
    try:
        return [parse_rule(data)]
    except RuleError as err:
        raise _error(text, err.message) from None


def _month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _window(text: str, s: str) -> list[Rule] | None:
    m = _YEAR_WINDOW_RE.match(s)
    if m is not None:
        year = int(m["year"])
        try:
            return [WindowRule(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))]
        except ValueError:
            raise _error(text, f"năm {year} không hợp lệ") from None
    m = _MONTH_WINDOW_RE.match(s)
    if m is None:
        return None
    month, year = int(m["month"]), int(m["year"])
    if not 1 <= month <= 12:
        raise _error(text, f"tháng {month} không tồn tại (chỉ từ 1 đến 12)")
    first, last = _month_span(year, month)
    return [WindowRule(start=first, end=last)]


def _periods(s: str, default_offset: int) -> list[Rule] | None:
    suffix = _YEAR_SUFFIX.match(s)
    if suffix is None:
        return _period_list(s, default_offset, None)
    # "6 tháng đầu năm 2023", "cuối năm 2023", "6 tháng năm 2023": that year only
    body, year = suffix["body"], int(suffix["year"])
    found = _period_list(body, default_offset, year)
    if found is None:
        found = _period_list(body.removesuffix(" năm"), default_offset, year)
    return found


def _period_list(body: str, default_offset: int, year: int | None) -> list[Rule] | None:
    body = _LEADING.sub("", body, count=1)
    items = [x.strip() for x in re.split(r",|;| và | hoặc |/", body) if x.strip()]
    if not items:
        return None
    items = [re.sub(r"^(?:định kỳ|báo cáo) ", "", x) for x in items]
    validity: dict[str, dt.date] = {}
    if year is not None:
        validity = {"valid_from": dt.date(year, 1, 1), "valid_until": dt.date(year, 12, 31)}
    # "3 tháng, 6 tháng": months counted from a start date, not reporting periods.
    counts = [_N_MONTHS_RE.match(x) for x in items]
    if len(items) > 1 and all(counts):
        values = [int(m.group(1)) for m in counts if m is not None]
        if any(v not in (6, 9) for v in values) and all(1 <= v <= 120 for v in values):
            return [EveryNMonthsRule(months=tuple(sorted(set(values))), **validity)]
    kinds: list[PeriodKind] = []
    halves: set[int] = set()
    on_request = False
    for item in items:
        if item in _ITEM_ON_REQUEST or _ON_REQUEST_RE.match(item):
            on_request = True
            continue
        half = _ITEM_HALVES.get(item)
        kind: PeriodKind | None = "half_year" if half else _ITEM_PERIODS.get(item)
        if kind is None:
            return None
        if half:
            halves.add(half)
        if kind not in kinds:
            kinds.append(kind)
    # "6 tháng và cuối năm": the yearly report covers the second half, so the
    # 6-month report is the first half only.
    indices: tuple[int, ...] | None = tuple(sorted(halves)) or None
    if indices is None and "half_year" in kinds and "year" in kinds:
        indices = (1,)
    out: list[Rule] = [
        PeriodicRule(
            period=k, basis="nd09", offset_kind="working_days", offset=default_offset,
            indices=indices if k == "half_year" else None, **validity,
        )
        for k in kinds
    ]
    if on_request:
        out.append(OnRequestRule(**validity))
    return out


def _refusal(text: str, s: str, default_offset: int) -> PhraseError:
    """Why `s` gives no rule, with valid rules to write instead when it is close to one."""
    m = re.search(r"(?<!\d)ngày (\d{1,2}) (?:hằng|mỗi|các) tháng", s)
    if m:
        data: dict[str, object] = {"kind": "monthly_day", "day": int(m.group(1))}
        options = [_suggest({**data, "mode": mode}) for mode in ("before", "by")]
        if all(options):
            return _error(
                text,
                "có ngày trong tháng nhưng không rõ là 'trước ngày' hay 'chậm nhất ngày' — ghi "
                f"{options[0]} hoặc {options[1]}",
            )
        return _error(text, f"ngày {m.group(1)} không tồn tại trong tháng")
    m = re.search(r"(?<![\d/])(\d{1,2}) ?/ ?(\d{1,2})(?: ?/ ?(\d{4}))?(?![\d/])", s)
    if m:
        data = {"kind": "fixed", "day": int(m.group(1)), "month": int(m.group(2))}
        if m.group(3):
            data["year"] = int(m.group(3))
        options = [_suggest({**data, "mode": mode}) for mode in ("before", "by")]
        if all(options):
            return _error(
                text,
                "có ngày tháng nhưng không rõ là 'trước ngày' hay 'chậm nhất ngày' — ghi "
                f"{options[0]} hoặc {options[1]}",
            )
        try:
            parse_rule({**data, "mode": "by"})
        except RuleError as err:
            return _error(text, err.message)
    m = re.search(r"(?<![\d/])(\d{1,2}) ?/ ?(\d{4})(?![\d/])", s)
    if m:
        month, year = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            return _error(text, f"tháng {month} không tồn tại (chỉ từ 1 đến 12)")
        first, last = _month_span(year, month)
        window = _suggest({"kind": "window", "start": first, "end": last})
        if window:
            return _error(text, f"có tháng {month}/{year} nhưng không rõ hạn — nếu làm trong "
                                f"tháng đó thì ghi {window}")
    m = re.search(r"(?<!\w)năm (\d{4})(?!\d)", s)
    if m:
        year = int(m.group(1))
        window = _suggest({"kind": "window", "start": dt.date(year, 1, 1),
                           "end": dt.date(year, 12, 31)})
        if window:
            return _error(text, f"có năm {year} nhưng không rõ hạn — nếu làm trong năm đó "
                                f"thì ghi {window}")
    if "theo quy định" in s or "theo đúng quy định" in s:
        return _error(
            text,
            "cụm từ chỉ dẫn chiếu “theo quy định”, không nêu kỳ hay ngày nộp; hãy ghi kỳ báo "
            "cáo và hạn nộp theo văn bản quy định đó",
            no_deadline=True,
        )
    if "kịp thời" in s:
        return _error(
            text,
            "“kịp thời” không phải là một thời hạn; nếu báo cáo khi cấp trên yêu cầu thì ghi "
            "{kind: on_request}, nếu là việc làm liên tục thì ghi {kind: continuous}",
            no_deadline=True,
        )
    found: list[str] = []
    periodic: list[str] = []
    for words, kind in _PERIOD_HINTS.items():
        if re.search(rf"(?<!\w){re.escape(words)}(?!\w)", s):
            option = _suggest({"kind": "periodic", "period": kind, "basis": "nd09",
                               "offset_kind": "working_days", "offset": default_offset})
            if option and option not in periodic:
                found.append(f"“{words}”")
                periodic.append(option)
    if periodic:
        return _error(
            text,
            f"có nhắc kỳ {', '.join(found)} nhưng kèm nội dung khác; nếu là báo cáo định kỳ "
            f"thì ghi {' và '.join(periodic)}",
        )
    if "định kỳ" in s:
        return _error(
            text,
            "có “định kỳ” nhưng không nêu kỳ nào (hằng tháng, hằng quý, 6 tháng, 9 tháng, "
            "hằng năm)",
            no_deadline=True,
        )
    return _error(text)


def parse_phrase(text: str, *, default_offset: int = 2) -> list[Rule]:
    """Rules for a plan phrase. Periodic phrases get ND09 periods and `default_offset`
    working days after the cut-off. Raises `PhraseError` for a phrase that names no
    deadline or that the parser does not understand."""
    if default_offset < 0:
        raise ValueError("default_offset must be >= 0")
    full = normalise_phrase(text)
    if not full:
        raise _error(text, "cụm từ trống")
    # "… theo quy định" adds nothing to a phrase that already names its deadline
    s = _NO_DEADLINE_TAIL.sub("", full)
    if _CONTINUOUS_RE.match(s):
        return [ContinuousRule()]
    if _ON_REQUEST_RE.match(s):
        return [OnRequestRule()]
    for parse in (_fixed, _monthly, _window):
        found = parse(text, s)
        if found is not None:
            return found
    periodic = _periods(s, default_offset)
    if periodic is not None:
        return periodic
    raise _refusal(text, full, default_offset)
