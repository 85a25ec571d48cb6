"""Use cases (one per action), the read side, and the outbox.

Importing any of them starts watching sessions for writes that change the dashboards'
per-unit figures (services/figures.py), so that no write path can forget them.
"""

from danvan_workflow.services import figures as _figures  # noqa: F401  (registers the watch)
