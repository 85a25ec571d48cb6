"""Commands: one typed model per operator action (pydantic v2).

The `danvan` CLI, the Prefect forms and the flows build the same command and hand it to
the one use case in `services/` that carries it out. A command validates what a user typed
(Vietnamese messages naming the field); it does no I/O.
"""

from danvan_workflow.commands.base import Command, OptionalDay, parse_command

__all__ = ["Command", "OptionalDay", "parse_command"]
