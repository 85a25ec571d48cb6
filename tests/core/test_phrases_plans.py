"""Every timing phrase of the five source plans, in the plan's own words -> rules or a refusal.

One row per distinct wording found in the plans (shared/seeds/*.txt) and in the
``timing:`` values of config/plans/*.yaml. A phrase either gives rules or is
refused with a Vietnamese message (never anything else).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from danvan_workflow.core.phrases import PhraseError, parse_phrase
from danvan_workflow.core.rules import (
    ContinuousRule,
    EveryNMonthsRule,
    FixedRule,
    OnRequestRule,
    PeriodicRule,
    Rule,
    WindowRule,
    parse_rule,
)
from danvan_workflow.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "config" / "plans"
SEEDS = ROOT.parent / "shared" / "seeds"  # where the plans' `source:` points
D = dt.date
YEAR_2023 = {"valid_from": D(2023, 1, 1), "valid_until": D(2023, 12, 31)}


def periodic(period: str, **extra: object) -> PeriodicRule:
    data: dict[str, object] = {
        "period": period, "basis": "nd09", "offset_kind": "working_days", "offset": 2, **extra,
    }
    return PeriodicRule.model_validate(data)


@dataclass(frozen=True)
class Refused:
    """The first line of the refusal, up to the structured examples."""

    message: str


_EXAMPLES_TAIL = ". Hãy ghi lịch ở dạng có cấu trúc (khóa 'rule:'), ví dụ:"
_NO_PERIOD = (
    "có “định kỳ” nhưng không nêu kỳ nào (hằng tháng, hằng quý, 6 tháng, 9 tháng, hằng năm)"
)
_BY_REGULATION = (
    "cụm từ chỉ dẫn chiếu “theo quy định”, không nêu kỳ hay ngày nộp; hãy ghi kỳ báo cáo và "
    "hạn nộp theo văn bản quy định đó"
)
_HALF_YEAR = (
    "{kind: periodic, period: half_year, basis: nd09, offset_kind: working_days, offset: 2}"
)
_YEAR = "{kind: periodic, period: year, basis: nd09, offset_kind: working_days, offset: 2}"


def no_deadline(phrase: str, detail: str) -> Refused:
    return Refused(f"Cụm từ thời hạn “{phrase}” không nêu hạn cụ thể: {detail}")


def not_understood(phrase: str, detail: str) -> Refused:
    return Refused(f"Không hiểu cụm từ thời hạn “{phrase}”: {detail}")


# (plan file, the plan's exact wording, what it parses to)
PLAN_PHRASES: list[tuple[str, str, list[Rule] | Refused]] = [
    # 000 — Đức Phổ, Kết luận 1231
    ("000", "Thường xuyên", [ContinuousRule()]),
    ("000", "Định kỳ hằng năm", [periodic("year")]),
    (
        "000",
        "định kỳ sơ kết, tổng kết và báo cáo kết quả thực hiện",
        no_deadline("định kỳ sơ kết, tổng kết và báo cáo kết quả thực hiện", _NO_PERIOD),
    ),
    (
        "000",
        "kịp thời báo cáo, đề xuất",
        no_deadline(
            "kịp thời báo cáo, đề xuất",
            "“kịp thời” không phải là một thời hạn; nếu báo cáo khi cấp trên yêu cầu thì ghi "
            "{kind: on_request}, nếu là việc làm liên tục thì ghi {kind: continuous}",
        ),
    ),
    # 001 — Tây Ninh, 19-KH/BCĐ
    ("001", "hằng năm", [periodic("year")]),
    ("001", "định kỳ hằng quý", [periodic("quarter")]),
    ("001", "hằng quý", [periodic("quarter")]),
    (
        "001",
        "Tổ chức hội nghị 6 tháng, tổng kết năm theo quy định",
        no_deadline("Tổ chức hội nghị 6 tháng, tổng kết năm theo quy định", _BY_REGULATION),
    ),
    (
        "001",
        "định kỳ 6 tháng, năm và báo cáo chuyên đề (nếu có)",
        [periodic("half_year", indices=[1]), periodic("year"), OnRequestRule()],
    ),
    ("001", "Thực hiện khi có văn bản yêu cầu của Ban Chỉ đạo tỉnh", [OnRequestRule()]),
    ("001", "trước ngày 20/11 hằng năm", [FixedRule(day=20, month=11, mode="before")]),
    (
        "001",
        "báo cáo kết quả thực hiện dân chủ ở cơ sở 6 tháng",
        not_understood(
            "báo cáo kết quả thực hiện dân chủ ở cơ sở 6 tháng",
            f"có nhắc kỳ “6 tháng” nhưng kèm nội dung khác; nếu là báo cáo định kỳ thì ghi "
            f"{_HALF_YEAR}",
        ),
    ),
    (
        "001",
        "báo cáo kết quả thực hiện dân chủ ở cơ sở 6 tháng, báo cáo năm và báo cáo chuyên đề "
        "(nếu có)",
        not_understood(
            "báo cáo kết quả thực hiện dân chủ ở cơ sở 6 tháng, báo cáo năm và báo cáo chuyên "
            "đề (nếu có)",
            f"có nhắc kỳ “6 tháng”, “báo cáo năm” nhưng kèm nội dung khác; nếu là báo cáo định "
            f"kỳ thì ghi {_HALF_YEAR} và {_YEAR}",
        ),
    ),
    ("001", "báo cáo năm", [periodic("year")]),
    ("001", "vào năm 2025", [WindowRule(start=D(2025, 1, 1), end=D(2025, 12, 31))]),
    # 002 — Đức Phổ, "Dân vận khéo" 2023
    ("002", "Định kỳ 3 tháng, 6 tháng", [EveryNMonthsRule(months=(3, 6))]),
    (
        "002",
        "Định kỳ 6 tháng đầu năm 2023",
        [periodic("half_year", indices=[1], **YEAR_2023)],
    ),
    ("002", "chậm nhất ngày 25/7/2023", [FixedRule(day=25, month=7, year=2023, mode="by")]),
    ("002", "định kỳ cuối năm 2023", [periodic("year", **YEAR_2023)]),
    ("002", "chậm nhất ngày 15/12/2023", [FixedRule(day=15, month=12, year=2023, mode="by")]),
    ("002", "trước ngày 31/12/2023", [FixedRule(day=31, month=12, year=2023, mode="before")]),
    (
        "002",
        "Định kỳ hàng tháng, 06 tháng, 01 năm",
        [periodic("month"), periodic("half_year", indices=[1]), periodic("year")],
    ),
    ("002", "Định kỳ hàng tháng", [periodic("month")]),
    ("002", "06 tháng", [periodic("half_year")]),
    ("002", "01 năm", [periodic("year")]),
    # 003 — Đồng Nai, 294/KH-VP
    ("003", "thường xuyên", [ContinuousRule()]),
    (
        "003",
        "định kỳ 6 tháng, 9 tháng và cuối năm",
        [periodic("half_year", indices=[1]), periodic("nine_months"), periodic("year")],
    ),
    (
        "003",
        "6 tháng, 9 tháng và cuối năm",
        [periodic("half_year", indices=[1]), periodic("nine_months"), periodic("year")],
    ),
    # 004 — Cao Lộc 2024
    (
        "004",
        "thực hiện chế độ thông tin báo cáo theo quy định",
        no_deadline("thực hiện chế độ thông tin báo cáo theo quy định", _BY_REGULATION),
    ),
    (
        "004",
        "Báo cáo UBND huyện kết quả thực hiện theo quy định",
        no_deadline("Báo cáo UBND huyện kết quả thực hiện theo quy định", _BY_REGULATION),
    ),
]

REFUSED = [phrase for _, phrase, expected in PLAN_PHRASES if isinstance(expected, Refused)]


@pytest.mark.parametrize(("plan", "phrase", "expected"), PLAN_PHRASES)
def test_plan_phrase(plan: str, phrase: str, expected: list[Rule] | Refused) -> None:
    if isinstance(expected, Refused):
        with pytest.raises(PhraseError) as info:
            parse_phrase(phrase)
        message = str(info.value)
        assert message.split("\n")[0] == expected.message + _EXAMPLES_TAIL
        assert isinstance(info.value, UserError)
        assert unicodedata.is_normalized("NFC", message)
        assert "Traceback" not in message
    else:
        assert parse_phrase(phrase) == expected


@pytest.mark.parametrize(
    "phrase", [*REFUSED, "trong tháng 3/2027 nộp", "tháng 3/2027", "ngày 25 hằng tháng",
               "ngày 20/11/2027", "năm 2025", "hằng tuần"],
)
def test_refusals_suggest_only_valid_rules(phrase: str) -> None:
    """Every '{kind: …}' a refusal shows is YAML that validates as a rule."""
    with pytest.raises(PhraseError) as info:
        parse_phrase(phrase)
    chunks = ["{" + c.split("}")[0] + "}" for c in str(info.value).split("{")[1:]]
    assert chunks
    for chunk in chunks:
        parse_rule(YAML(typ="safe").load(chunk))


def test_month_and_year_are_not_read_as_a_day() -> None:
    """'3/2027' is March 2027, never day 3 of month 20."""
    with pytest.raises(PhraseError) as info:
        parse_phrase("hạn tháng 3/2027")
    message = str(info.value)
    assert "{kind: window, start: 2027-03-01, end: 2027-03-31}" in message
    assert "month: 20" not in message and "day: 3," not in message


def _plan_timings() -> set[str]:
    yaml = YAML(typ="safe")
    out: set[str] = set()
    for path in sorted(PLANS.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"))
        for section in ("tasks", "obligations"):
            for item in data.get(section) or []:
                if item.get("timing"):
                    out.add(item["timing"])
    return out


def test_every_configured_timing_is_in_the_table() -> None:
    table = {phrase for _, phrase, _ in PLAN_PHRASES}
    missing = _plan_timings() - table
    assert not missing, f"timing values of config/plans missing from PLAN_PHRASES: {missing}"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the source plans are not next to the repository")
def test_every_row_is_the_plans_own_wording() -> None:
    texts = [" ".join(p.read_text(encoding="utf-8").split()) for p in sorted(SEEDS.glob("*.txt"))]
    texts.append(" ".join(sorted(_plan_timings())))
    for plan, phrase, _ in PLAN_PHRASES:
        assert any(phrase in text for text in texts), (plan, phrase)
