from __future__ import annotations

from decimal import Decimal as D

import pytest

from danvan_workflow.core.targets import Comparison, Target, evaluate

ALL = Target("T1", "100% các phòng phổ biến kế hoạch", D(100), Comparison.AT_LEAST)
EIGHTY = Target("T2", "80% đạt tiêu chí Dân vận khéo", D(80), Comparison.AT_LEAST)
OVER_EIGHTY = Target("T3", "Trên 80% thực hiện tốt QCDC", D(80), Comparison.MORE_THAN)
UNITS = [f"P{i}" for i in range(1, 11)]


def test_hundred_percent() -> None:
    status = evaluate(ALL, UNITS, set(UNITS) | {"OTHER"})
    assert status.achieved and status.percent == D("100.00") and status.count == 10
    status = evaluate(ALL, UNITS, set(UNITS[:-1]))
    assert not status.achieved and status.missing == ["P10"] and status.percent == D("90.00")


def test_at_least_vs_more_than_exactly_at_threshold() -> None:
    facts = set(UNITS[:8])
    assert evaluate(EIGHTY, UNITS, facts).achieved
    assert not evaluate(OVER_EIGHTY, UNITS, facts).achieved
    assert evaluate(OVER_EIGHTY, UNITS, set(UNITS[:9])).achieved
    assert not evaluate(EIGHTY, UNITS, set(UNITS[:7])).achieved


def test_exact_comparison_not_rounded() -> None:
    target = Target("T", "x", D("66.67"))
    status = evaluate(target, ["a", "b", "c"], {"a", "b"})
    assert status.percent == D("66.67") and not status.achieved


def test_duplicates_count_once() -> None:
    status = evaluate(EIGHTY, ["a", "a", "b"], {"a"})
    assert (status.count, status.total, status.missing) == (1, 2, ["b"])


def test_empty_population() -> None:
    status = evaluate(ALL, [], {"a"})
    assert not status.achieved
    assert status.total == 0 and status.percent == 0
    assert status.note is not None and "không có đơn vị" in status.note


def test_bad_targets() -> None:
    with pytest.raises(ValueError):
        Target("T", "x", D(101))
    with pytest.raises(ValueError):
        Target("T", "x", D(100), Comparison.MORE_THAN)
