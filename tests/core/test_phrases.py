"""Plan phrases -> rules."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from danvan_workflow.core.occurrences import occurrences
from danvan_workflow.core.phrases import PhraseError, normalise_phrase, parse_phrase
from danvan_workflow.core.rules import (
    ContinuousRule,
    EveryNMonthsRule,
    FixedRule,
    MonthlyDayRule,
    OnRequestRule,
    PeriodicRule,
    Rule,
    WindowRule,
)
from danvan_workflow.errors import UserError
from tests.core.test_calendar import calendar_2026


def periodic(period: str, offset: int = 2) -> PeriodicRule:
    return PeriodicRule(
        period=period,  # type: ignore[arg-type]
        basis="nd09",
        offset_kind="working_days",
        offset=offset,
    )


def first_half() -> PeriodicRule:
    """With a yearly report beside it, the 6-month report covers the first half only."""
    return periodic("half_year").model_copy(update={"indices": (1,)})


CASES: list[tuple[str, list[Rule]]] = [
    ("trước ngày 20/11 hằng năm", [FixedRule(day=20, month=11, mode="before")]),
    ("trước ngày 20/11 hàng năm", [FixedRule(day=20, month=11, mode="before")]),
    ("chậm nhất ngày 25/7/2023", [FixedRule(day=25, month=7, year=2023, mode="by")]),
    ("Chậm nhất là ngày 25/7/2023.", [FixedRule(day=25, month=7, year=2023, mode="by")]),
    ("trước ngày 31/12/2023", [FixedRule(day=31, month=12, year=2023, mode="before")]),
    ("chậm nhất ngày 15/12", [FixedRule(day=15, month=12, mode="by")]),
    ("chậm nhất ngày 15/12/2023", [FixedRule(day=15, month=12, year=2023, mode="by")]),
    ("đến ngày 15/12/2023", [FixedRule(day=15, month=12, year=2023, mode="by")]),
    ("định kỳ hằng tháng", [periodic("month")]),
    ("hằng tháng", [periodic("month")]),
    ("hàng tháng", [periodic("month")]),
    ("hằng quý", [periodic("quarter")]),
    ("định kỳ hằng quý", [periodic("quarter")]),
    ("định kỳ 6 tháng", [periodic("half_year")]),
    (
        "6 tháng, 9 tháng và cuối năm",
        [first_half(), periodic("nine_months"), periodic("year")],
    ),
    ("định kỳ 6 tháng, hằng năm", [first_half(), periodic("year")]),
    ("định kỳ 3 tháng, 6 tháng", [EveryNMonthsRule(months=(3, 6))]),
    ("định kỳ 3 tháng và 6 tháng", [EveryNMonthsRule(months=(3, 6))]),
    ("hằng năm", [periodic("year")]),
    ("Định kỳ hằng năm", [periodic("year")]),
    ("Thường xuyên", [ContinuousRule()]),
    ("khi có yêu cầu", [OnRequestRule()]),
    ("Khi có văn bản yêu cầu", [OnRequestRule()]),
    ("đột xuất", [OnRequestRule()]),
    # leading zeros, both spellings of hằng/hàng
    ("trước ngày 05/02", [FixedRule(day=5, month=2, mode="before")]),
    ("chậm nhất ngày 05/02/2024", [FixedRule(day=5, month=2, year=2024, mode="by")]),
    ("định kỳ 06 tháng, 01 năm", [first_half(), periodic("year")]),
    ("Định kỳ hàng tháng, 06 tháng, 01 năm",
     [periodic("month"), first_half(), periodic("year")]),
    ("định kỳ 03 tháng, 06 tháng", [EveryNMonthsRule(months=(3, 6))]),
    # the written-out date of official documents
    ("chậm nhất ngày 25 tháng 7 năm 2023", [FixedRule(day=25, month=7, year=2023, mode="by")]),
    ("trước ngày 20 tháng 11 hằng năm", [FixedRule(day=20, month=11, mode="before")]),
    # a fixed day every month
    ("trước ngày 25 hằng tháng", [MonthlyDayRule(day=25, mode="before")]),
    ("trước ngày 25 hàng tháng", [MonthlyDayRule(day=25, mode="before")]),
    ("chậm nhất ngày 5 hằng tháng", [MonthlyDayRule(day=5, mode="by")]),
    ("chậm nhất là ngày 05 hàng tháng.", [MonthlyDayRule(day=5, mode="by")]),
    ("trước ngày 31 mỗi tháng", [MonthlyDayRule(day=31, mode="before")]),
    # a span of time
    ("trong tháng 3/2027", [WindowRule(start=dt.date(2027, 3, 1), end=dt.date(2027, 3, 31))]),
    ("trong tháng 02/2028", [WindowRule(start=dt.date(2028, 2, 1), end=dt.date(2028, 2, 29))]),
    ("trong năm 2025", [WindowRule(start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))]),
    # on request, also inside a list ("báo cáo chuyên đề (nếu có)")
    ("theo yêu cầu của cấp trên", [OnRequestRule()]),
    ("định kỳ hằng quý và báo cáo chuyên đề (nếu có)", [periodic("quarter"), OnRequestRule()]),
    ("6 tháng cuối năm", [periodic("half_year").model_copy(update={"indices": (2,)})]),
    # "theo quy định" adds nothing to a phrase that names its deadline
    ("hằng năm theo quy định", [periodic("year")]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_phrase(text: str, expected: list[Rule]) -> None:
    assert parse_phrase(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_phrase_tolerates_nfd_case_and_spaces(text: str, expected: list[Rule]) -> None:
    messy = "  " + unicodedata.normalize("NFD", text.upper()).replace(" ", "   ") + " "
    assert parse_phrase(messy) == expected


def test_default_offset_parameter() -> None:
    assert parse_phrase("hằng tháng", default_offset=5) == [periodic("month", 5)]


def test_normalise_phrase() -> None:
    assert normalise_phrase(" ĐỊNH  KỲ HÀNG QUÝ. ") == "định kỳ hằng quý"
    assert normalise_phrase("Định kỳ hàng tháng, 06 tháng, 01 năm") == (
        "định kỳ hằng tháng, 6 tháng, 1 năm"
    )
    assert normalise_phrase("báo cáo chuyên đề (nếu có)") == "báo cáo chuyên đề nếu có"
    assert normalise_phrase("ngày 05 tháng 02 năm 2024") == "ngày 5/2/2024"


def test_phrase_due_dates() -> None:
    (rule,) = parse_phrase("trước ngày 20/11 hằng năm")
    occ = occurrences(rule, calendar_2026(), dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert [o.due for o in occ] == [dt.date(2026, 11, 19)]


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("mỗi khi trời mưa", "{kind: fixed, day: 20, month: 11, mode: before}"),
        ("ngày 20/11", "{kind: fixed, day: 20, month: 11, mode: before}"),
        ("   ", "cụm từ trống"),
        ("chậm nhất ngày 30/2/2023", "Ngày 30/2/2023 không tồn tại"),
        ("chậm nhất ngày 29/2", "29/2 không có ở mọi năm"),
        ("hằng tuần", "{kind: periodic, period: month"),
        ("chậm nhất ngày 32 hằng tháng", "phải từ 1 đến 31"),
        ("ngày 25 hằng tháng", "{kind: monthly_day, day: 25, mode: before} hoặc "
                               "{kind: monthly_day, day: 25, mode: by}"),
        ("ngày 31/4", "Ngày 31/4 không tồn tại"),
        ("tháng 3/2027", "{kind: window, start: 2027-03-01, end: 2027-03-31}"),
        ("trong tháng 13/2027", "tháng 13 không tồn tại"),
        ("năm 2025", "{kind: window, start: 2025-01-01, end: 2025-12-31}"),
    ],
)
def test_unknown_phrase(text: str, hint: str) -> None:
    with pytest.raises(PhraseError) as info:
        parse_phrase(text)
    message = str(info.value)
    assert "Không hiểu cụm từ thời hạn" in message
    assert hint in message
    assert unicodedata.is_normalized("NFC", message)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, UserError)


def test_header_block_follows_the_issuing_body() -> None:
    import datetime as dt

    from danvan_workflow.core.doc_header import MOTTO, NATIONAL_TITLE, PARTY_TITLE, Body, header_for

    day = dt.date(2026, 12, 3)
    thi_uy = Body("Thị ủy Đức Phổ", "party_committee")
    bcd = Body("Ban Chỉ đạo phong trào thi đua “Dân vận khéo” thị xã Đức Phổ",
               "steering_committee", thi_uy)
    party = header_for(bcd, day)
    assert party.party and party.right_title == PARTY_TITLE and party.motto is None
    assert party.upper == "THỊ ỦY ĐỨC PHỔ"
    assert party.place_date == "Đức Phổ, ngày 03 tháng 12 năm 2026"
    ubnd = Body("Ủy ban nhân dân huyện Cao Lộc", "state_agency")
    state = header_for(Body("Phòng Nội vụ huyện Cao Lộc", "state_agency", ubnd), day)
    assert not state.party and state.right_title == NATIONAL_TITLE and state.motto == MOTTO
    assert state.upper == "ỦY BAN NHÂN DÂN HUYỆN CAO LỘC"
    assert state.place_date.startswith("Cao Lộc, ngày 03 tháng 12")
    # a steering committee of the People's Committee writes as the state does
    assert not header_for(Body("Ban Chỉ đạo huyện", "steering_committee", ubnd), day).party
    assert header_for(Body("Văn phòng", "office"), day).place_date.startswith("……")
    tinh_uy = Body("Tỉnh ủy Tây Ninh", "party_committee")
    bdv = header_for(Body("Ban Dân vận Tỉnh ủy Tây Ninh", "party_board", tinh_uy), day)
    assert bdv.place_date.startswith("Tây Ninh, ngày") and bdv.upper == "TỈNH ỦY TÂY NINH"
