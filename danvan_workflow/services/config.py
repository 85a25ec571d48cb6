"""Use cases for configuration: check and load, each load one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from danvan_workflow.configuration.apply import ChangeReport, apply_bundle
from danvan_workflow.configuration.loader import ConfigBundle, load_config
from danvan_workflow.db.session import session_scope
from danvan_workflow.services import archive, audit
from danvan_workflow.services.materialise import MaterialiseResult, materialise


@dataclass
class LoadResult:
    bundle: ConfigBundle
    report: ChangeReport
    materialised: MaterialiseResult | None


def check(config_dir: Path) -> ConfigBundle:
    """Validate only; raises ConfigErrors listing every problem."""
    return load_config(config_dir)


def load(config_dir: Path, *, actor: str = "cli", engine: Engine | None = None) -> LoadResult:
    """Validate, then write the differences and re-materialise, all in one transaction.

    Loading unchanged files writes nothing at all. A plan, unit or contact missing
    from the files is archived, not deleted (`report.notes` says what it kept).
    """
    bundle = load_config(config_dir)
    with session_scope(engine) as session:
        report = apply_bundle(session, bundle)
        report.notes = archive.note_archive_changes(session, report, actor)
        mat = None
        if report.any:
            ids = None if report.calendar_changed else report.changed_obligation_ids
            mat = materialise(session, obligation_ids=ids, actor=actor)
            audit.record(session, actor=actor, action="config.load", entity="config",
                         entity_id=str(config_dir), after=report.as_dict())
    return LoadResult(bundle, report, mat)
