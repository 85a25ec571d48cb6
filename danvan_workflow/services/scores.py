"""Use cases for scorecards (bảng điểm): record scores, rank units, aggregate per scorer.

Points are `Decimal`. A score is keyed by (unit, year, criterion): recording it
again corrects it (upsert, audited with the old and new values).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan_workflow.commands.scores import RecordScore
from danvan_workflow.core import scoring as core
from danvan_workflow.core.occurrences import occurrences
from danvan_workflow.core.rules import parse_rule
from danvan_workflow.core.vietnamese import nfc
from danvan_workflow.db.models import (
    ClassificationThreshold,
    Plan,
    Score,
    ScoreCriterion,
    ScoringBody,
    Unit,
)
from danvan_workflow.errors import UserError
from danvan_workflow.services import audit
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.queries import require_plan_year, resolve_plan, resolve_unit
from danvan_workflow.services.targets import check_year, select_units, unit_infos
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.settings import get_settings
from danvan_workflow.timeutil import now


def _decimal(value: Decimal | int | str | float, field_name: str) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise UserError(f"số điểm '{value}' không hợp lệ", field=field_name) from None
    if not d.is_finite():
        raise UserError(f"số điểm '{value}' không hợp lệ", field=field_name)
    return d


@dataclass(frozen=True)
class ScoreResult:
    unit_code: str
    year: int
    criterion_code: str
    points: Decimal
    bonus: Decimal
    previous: tuple[Decimal, Decimal] | None  # (points, bonus) before a correction
    changed: bool


@dataclass(frozen=True)
class RankLine:
    rank: int
    unit_code: str
    unit_name: str
    total: Decimal
    classification: str | None


@dataclass(frozen=True)
class AggregateResult:
    plan_code: str
    year: int
    scorer_code: str
    scorer_name: str
    due_on: dt.date | None
    scored: list[RankLine] = field(default_factory=list)
    not_scored: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    unexpected: list[str] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)  # members inferred, not named by the plan


def _criterion(session: Session, plan: Plan, code: str) -> ScoreCriterion:
    row = session.execute(select(ScoreCriterion).where(
        ScoreCriterion.plan_id == plan.id, ScoreCriterion.code == code)).scalar_one_or_none()
    if row is None:
        known = ", ".join(session.execute(select(ScoreCriterion.code).where(
            ScoreCriterion.plan_id == plan.id).order_by(ScoreCriterion.code)).scalars())
        raise UserError(nfc(f"kế hoạch '{plan.code}' không có tiêu chí '{code}'"
                            + (f" (có: {known})" if known else " (chưa có bảng điểm)")),
                        field="criterion")
    return row


def _as_core(c: ScoreCriterion) -> core.Criterion:
    return core.Criterion(code=c.code, title=c.title, max_points=Decimal(c.max_points),
                          bonus_points=Decimal(c.bonus_points or 0))


def record_score(
    session: Session, *, plan_code: str, unit_code: str, year: int, criterion_code: str,
    points: Decimal | int | str | float, bonus: Decimal | int | str | float = 0,
    actor: str,
) -> ScoreResult:
    """Record a unit's points on one criterion (checked against the criterion's maximum)."""
    plan = resolve_plan(session, plan_code, field="plan")
    unit = resolve_unit(session, unit_code, field="unit")
    require_plan_year(plan, check_year(year))
    crit = _criterion(session, plan, criterion_code)
    score = core.validate_score(_as_core(crit), _decimal(points, "points"),
                                _decimal(bonus, "bonus"))
    row = session.execute(select(Score).where(
        Score.unit_id == unit.id, Score.year == year, Score.criterion_id == crit.id)
    ).scalar_one_or_none()
    previous = None if row is None else (Decimal(row.points), Decimal(row.bonus or 0))
    new = (score.points, score.bonus)
    changed = previous != new
    if row is None:
        session.add(Score(unit_id=unit.id, year=year, criterion_id=crit.id, points=score.points,
                          bonus=score.bonus, recorded_by=actor, recorded_at=now()))
    elif changed:
        row.points, row.bonus = score.points, score.bonus
        row.recorded_by, row.recorded_at = actor, now()
    if changed:
        session.flush()
        audit.record(session, actor=actor, action="score.recorded", entity="score",
                     entity_id=f"{plan.code}/{unit.code}/{year}/{crit.code}",
                     before=None if previous is None else
                     {"points": str(previous[0]), "bonus": str(previous[1])},
                     after={"points": str(score.points), "bonus": str(score.bonus)})
    return ScoreResult(unit.code, year, crit.code, score.points, score.bonus, previous, changed)


def _thresholds(session: Session, plan: Plan) -> list[core.Threshold]:
    rows = session.execute(select(ClassificationThreshold).where(
        ClassificationThreshold.plan_id == plan.id)).scalars().all()
    return sorted((core.Threshold(label=r.label, min=Decimal(r.min_points)) for r in rows),
                  key=lambda t: -t.min)


def _scores_by_unit(session: Session, plan: Plan, year: int) -> dict[str, list[core.Score]]:
    rows = session.execute(
        select(Unit.code, ScoreCriterion.code, Score.points, Score.bonus)
        .join(Unit, Unit.id == Score.unit_id)
        .join(ScoreCriterion, ScoreCriterion.id == Score.criterion_id)
        .where(ScoreCriterion.plan_id == plan.id, Score.year == year)).all()
    out: dict[str, list[core.Score]] = {}
    for unit_code, crit, points, bonus in rows:
        out.setdefault(unit_code, []).append(
            core.Score(criterion_code=crit, points=Decimal(points), bonus=Decimal(bonus or 0)))
    return out


def _names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Unit.code, Unit.name)).tuples().all())


def rank(session: Session, plan_code: str, year: int) -> list[RankLine]:
    """Every unit scored in `year` on the plan's scorecard: total, class, rank ("1224")."""
    plan = resolve_plan(session, plan_code, field="plan")
    require_plan_year(plan, check_year(year))
    scores = _scores_by_unit(session, plan, year)
    thresholds = _thresholds(session, plan)
    totals = {u: core.total(s) for u, s in scores.items()}
    names = _names(session)
    return [RankLine(r.rank, r.unit, names.get(r.unit, r.unit), r.total,
                     core.classify(r.total, thresholds) if thresholds else None)
            for r in core.rank(totals)]


def body_due_on(session: Session, due_rule: dict[str, object] | None, year: int) -> dt.date | None:
    """The scoring body's due date in `year` (e.g. 'trước ngày 20/11' -> 19/11/2026)."""
    if not due_rule:
        return None
    rule = parse_rule(due_rule)
    cal = calendar_for(session)
    found = occurrences(rule, cal, dt.date(year, 1, 1), dt.date(year, 12, 31),
                        by_shift=get_settings().engine.by_shift)
    days = [o.due for o in found if o.due is not None]
    return days[0] if days else None


def aggregate(session: Session, plan_code: str, year: int, scorer_code: str) -> AggregateResult:
    """One scoring body's units: ranked totals, and the units not scored yet."""
    plan = resolve_plan(session, plan_code, field="plan")
    require_plan_year(plan, check_year(year))
    scorer = resolve_unit(session, scorer_code, field="scorer")
    body = session.execute(select(ScoringBody).where(
        ScoringBody.plan_id == plan.id, ScoringBody.scorer_id == scorer.id)).scalar_one_or_none()
    if body is None:
        raise UserError(nfc(f"đơn vị '{scorer.code}' không phải cơ quan chấm điểm của kế hoạch "
                            f"'{plan.code}'"), field="scorer")
    # a scoring body never scores itself, whatever its selectors match
    assigned = [u.code for u in select_units(unit_infos(session), body.scored)
                if u.code != scorer.code]
    assumed = set(session.execute(select(Unit.code).where(
        Unit.code.in_(assigned), Unit.assumed.is_(True))).scalars())
    scores = _scores_by_unit(session, plan, year)
    thresholds = _thresholds(session, plan)
    agg = core.aggregate(scorer.code, assigned, scores, thresholds or None)
    names = _names(session)
    return AggregateResult(
        plan.code, year, scorer.code, scorer.name, body_due_on(session, body.due_rule, year),
        [RankLine(r.rank, r.unit, names.get(r.unit, r.unit), r.total, agg.classes.get(r.unit))
         for r in agg.scored],
        [(c, names.get(c, c)) for c in agg.not_scored], list(agg.unexpected),
        sorted(assumed))


# --------------------------------------------------------------------------- commands and views


def score_criterion(cmd: RecordScore) -> ScoreResult:
    """The command "record a unit's points on a criterion", in its own transaction."""
    with unit_of_work() as s:
        return record_score(s, plan_code=cmd.plan, unit_code=cmd.unit, year=cmd.year,
                            criterion_code=cmd.criterion, points=cmd.points, bonus=cmd.bonus,
                            actor=cmd.operator)


def view_ranking(plan_code: str, year: int) -> list[RankLine]:
    """Totals, classification and rank (read only)."""
    with unit_of_work() as s:
        return rank(s, plan_code, year)


def view_aggregate(plan_code: str, year: int, scorer_code: str) -> AggregateResult:
    """One scoring body's totals and the units it has not scored (read only)."""
    with unit_of_work() as s:
        return aggregate(s, plan_code, year, scorer_code)
