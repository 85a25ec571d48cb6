from __future__ import annotations

import pytest

from danvan_workflow.core.quotas import (
    QuotaRule,
    UnitInfo,
    quota_report,
    required_models,
    short_units,
)

RULES = [
    QuotaRule({"kind": "party_committee", "level": "commune"}, 5),
    QuotaRule({"kind": "base_party_org"}, 1),
    QuotaRule({"kind": "base_party_org", "sector": "school"}, 2),
]

PHO_NINH = UnitInfo(
    "DP.PN.DU", "Đảng bộ phường Phổ Ninh", "party_committee", "commune", None, "DP.TU"
)
PHO_AN = UnitInfo("DP.PA.DU", "Đảng bộ xã Phổ An", "party_committee", "commune", None, "DP.TU")
SCHOOL = UnitInfo("DP.THPT", "Chi bộ trường THPT số 1", "base_party_org", "base", "school", "DP.TU")
AGENCY = UnitInfo("DP.KBNN", "Chi bộ Kho bạc", "base_party_org", "base", "agency", "DP.TU")
BOARD = UnitInfo("DP.BDV", "Ban Dân vận Thị ủy", "party_board", "district", None, "DP.TU")


def test_commune_with_three_of_five_is_short_by_two() -> None:
    lines = quota_report([PHO_NINH, PHO_AN], RULES, {"DP.PN.DU": 3, "DP.PA.DU": 6})
    by_code = {line.unit_code: line for line in lines}
    assert by_code["DP.PN.DU"].required == 5
    assert by_code["DP.PN.DU"].registered == 3
    assert by_code["DP.PN.DU"].short_by == 2
    assert not by_code["DP.PN.DU"].met
    assert by_code["DP.PA.DU"].short_by == 0 and by_code["DP.PA.DU"].met
    assert [line.unit_code for line in short_units(lines)] == ["DP.PN.DU"]


def test_strictest_rule_applies_and_unmatched_units_have_no_line() -> None:
    lines = quota_report([SCHOOL, AGENCY, BOARD], RULES, {"DP.THPT": 1})
    assert [(line.unit_code, line.required, line.short_by) for line in lines] == [
        ("DP.THPT", 2, 1),
        ("DP.KBNN", 1, 1),  # missing from counts -> 0 registered
    ]
    assert required_models(BOARD, RULES) is None


def test_selector_needs_all_keys() -> None:
    rule = QuotaRule({"kind": "party_committee", "level": "commune", "parent": "XX"}, 5)
    assert not rule.matches(PHO_NINH)
    assert QuotaRule({}, 1).matches(BOARD)


def test_bad_rules() -> None:
    with pytest.raises(ValueError):
        QuotaRule({"colour": "red"}, 1)
    with pytest.raises(ValueError):
        QuotaRule({"kind": "x"}, -1)
    with pytest.raises(ValueError):
        quota_report([PHO_NINH], RULES, {"DP.PN.DU": -1})
