from __future__ import annotations

from decimal import Decimal as D

import pytest

from danvan_workflow.core.scoring import (
    Criterion,
    Score,
    ScoreError,
    Threshold,
    aggregate,
    classify,
    rank,
    total,
    validate_score,
)

THRESHOLDS = [
    Threshold("Tốt", D(90)),
    Threshold("Khá", D(70)),
    Threshold("Trung bình", D(50)),
    Threshold("Yếu", D(0)),
]
C1 = Criterion("C1", "Phổ biến, quán triệt", D(20), D(5))


@pytest.mark.parametrize(
    ("points", "label"),
    [
        (D("90"), "Tốt"),
        (D("89.99"), "Khá"),
        (D("90.01"), "Tốt"),
        (D("70"), "Khá"),
        (D("69.99"), "Trung bình"),
        (D("70.01"), "Khá"),
        (D("50"), "Trung bình"),
        (D("49.99"), "Yếu"),
        (D("50.01"), "Trung bình"),
        (D("0"), "Yếu"),
        (D("0.01"), "Yếu"),
        (D("100"), "Tốt"),
    ],
)
def test_classify_at_below_above(points: D, label: str) -> None:
    assert classify(points, THRESHOLDS) == label


def test_classify_below_everything_and_bad_thresholds() -> None:
    assert classify(D("-0.01"), THRESHOLDS) is None
    with pytest.raises(ValueError):
        classify(D(1), [Threshold("A", D(50)), Threshold("B", D(50))])
    with pytest.raises(ValueError):
        classify(D(1), [])


def test_validate_score() -> None:
    assert validate_score(C1, D("20"), D("5")) == Score("C1", D(20), D(5))
    with pytest.raises(ScoreError) as info:
        validate_score(C1, D("20.5"))
    assert "vượt quá điểm tối đa 20" in str(info.value)
    assert "20,5" in str(info.value)
    with pytest.raises(ScoreError, match="điểm thưởng"):
        validate_score(C1, D(10), D("5.01"))
    with pytest.raises(ScoreError, match="âm"):
        validate_score(C1, D("-1"))


def test_total() -> None:
    scores = [Score("C1", D("18.5"), D(2)), Score("C2", D("30.25"))]
    assert total(scores) == D("50.75")
    with pytest.raises(ScoreError):
        total([Score("C1", D(1)), Score("C1", D(2))])


def test_rank_standard_competition() -> None:
    ranked = rank({"A": D(90), "B": D(85), "C": D(85), "D": D(70), "E": D("85.0")})
    assert [(r.rank, r.unit) for r in ranked] == [(1, "A"), (2, "B"), (2, "C"), (2, "E"), (5, "D")]
    assert rank({}) == []


def test_aggregate() -> None:
    agg = aggregate(
        "TN.SNV",
        ["U1", "U2", "U3", "U4"],
        {
            "U1": [Score("C1", D(50)), Score("C2", D(45))],
            "U2": [Score("C1", D(60))],
            "U3": [],
            "X9": [Score("C1", D(1))],
        },
        THRESHOLDS,
    )
    assert [(r.rank, r.unit, r.total) for r in agg.scored] == [(1, "U1", D(95)), (2, "U2", D(60))]
    assert agg.not_scored == ["U3", "U4"]
    assert agg.unexpected == ["X9"]
    assert agg.classes == {"U1": "Tốt", "U2": "Trung bình"}
