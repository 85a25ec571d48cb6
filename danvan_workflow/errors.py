"""Errors that reach users. Messages are Vietnamese; the CLI shows them without a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix. `field`, `file`, `line` locate it when known."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.field = field
        self.file = file
        self.line = line
        super().__init__(self.render())

    def render(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        field = f"trường '{self.field}': " if self.field else ""
        return f"{where}{field}{self.message}"


class ConfigErrors(UserError):
    """Several configuration problems found in one pass."""

    def __init__(self, problems: list[UserError]) -> None:
        self.problems = problems
        super().__init__(
            f"Cấu hình có {len(problems)} lỗi:\n" + "\n".join(p.render() for p in problems)
        )

    def render(self) -> str:  # the list is the message
        return self.message
