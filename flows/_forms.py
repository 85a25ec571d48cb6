"""Operator forms that ask again instead of failing, and echo dates before writing.

An operator action (a Prefect form) is carried out by `act`:

1. the form's values are parsed into the action's command (`danvan_workflow.commands`);
2. a mistake (unknown code, impossible date, a rule of the use case) does not fail the
   run: the run pauses with the same form, filled as the operator left it, and the
   problem stated in Vietnamese; the operator corrects it and submits again, or ticks
   "Hủy thao tác";
3. every date the command records is echoed back ("Ngày nhận báo cáo: Thứ Năm,
   03/12/2026 — xác nhận?") and nothing is written until the operator confirms;
4. the use case runs (its own transaction). Only real failures of the system end the run
   Failed.

The paused form is built from the command's JSON schema (same titles, descriptions and
choices) with permissive field types, so whatever the operator types reaches the one
parser and comes back as a question, never as a validation traceback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from prefect import get_run_logger
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import BaseModel, Field, WithJsonSchema, create_model

from danvan_workflow.commands import parse_command
from danvan_workflow.commands.base import Day, OptionalDay
from danvan_workflow.core.vietnamese import format_date_long
from danvan_workflow.errors import UserError
from danvan_workflow.services.choices import Choice

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

PAUSE_SECONDS = 24 * 3600  # an operator answers within the working day
POLL_SECONDS = 2
CONFIRM = "xac_nhan"
CANCEL = "huy"
_DAY_TYPES = (Day, OptionalDay)


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """The field's schema with `$ref`s replaced by what they point to (enums, choices)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return _inline(defs.get(ref.rsplit("/", 1)[-1], {}), defs)
        return {k: _inline(v, defs) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_inline(x, defs) for x in schema]
    return schema


def form_for(model: type[BaseModel], values: dict[str, Any], description: str, *,
             confirm: bool = False, problem: str | None = None,
             field: str | None = None, choice: Choice | None = None) -> type[RunInput]:
    """The paused form: `model`'s fields (titles, descriptions, choices), filled with
    `values`, any value accepted.

    The question comes first, as the description of the form's first field ("Xác nhận
    đúng" when confirming, "Hủy thao tác" otherwise): Prefect's V1 resume dialog does not
    always show a long form's own description. The field at fault repeats the problem.
    """
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    fields: dict[str, Any] = {}
    if confirm:
        fields[CONFIRM] = (bool, Field(False, title="Xác nhận đúng",
                                       description=f"{description}"))
    fields[CANCEL] = (bool, Field(False, title="Hủy thao tác", description=(
        description if not confirm else "Chọn để bỏ thao tác này, không ghi gì")))
    for name, prop in schema.get("properties", {}).items():
        info = model.model_fields[name]
        shape = {k: v for k, v in _inline(prop, defs).items()
                 if k not in ("title", "description", "default")}
        default = values[name] if name in values else (
            prop.get("default") if not info.is_required() else ...)
        text = info.description or prop.get("description")
        title = info.title
        if problem and field and field.split(".")[0] == name:
            text = f"**⚠ {problem}**" + (f" — {text}" if text else "")
        if choice is not None and choice.field == name:  # a list to pick from
            shape, default = {"type": "string", "enum": list(choice.options)}, ...
            title, text = choice.title, "Chọn một dòng trong danh sách"
        fields[name] = (Annotated[Any, WithJsonSchema(shape)],
                        Field(default, title=title, description=text))
    form: type[RunInput] = create_model(f"{model.__name__}Form", __base__=RunInput,
                                        **fields)
    form._description = description  # shown above the form where the UI shows it
    return form


def _ask(model: type[BaseModel], values: dict[str, Any], description: str, *,
         confirm: bool = False, problem: UserError | None = None,
         choice: Choice | None = None) -> dict[str, Any] | None:
    """Pause until the operator answers; None when they cancel."""
    form = form_for(model, values, description, confirm=confirm,
                    problem=problem.message if problem else None,
                    field=problem.field if problem else None, choice=choice)
    answer = pause_flow_run(wait_for_input=form, timeout=PAUSE_SECONDS,
                            poll_interval=POLL_SECONDS)
    data = answer.model_dump()
    if data.pop(CANCEL, False):
        return None
    return {k: v for k, v in data.items() if v is not None and v != ""}


def date_echo(cmd: BaseModel) -> str:
    """Every date the command records, spelled out: 'Ngày nhận báo cáo: Thứ Năm, 03/12/2026'."""
    lines = []
    for name, info in type(cmd).model_fields.items():
        value = getattr(cmd, name)
        if value is not None and any(m in info.metadata for m in _metadata_of_days()):
            lines.append(f"- {info.title or name}: **{format_date_long(value)}**")
    return "\n".join(lines)


def _metadata_of_days() -> list[Any]:
    out: list[Any] = []
    for t in _DAY_TYPES:
        out += list(getattr(t, "__metadata__", ()))
    return out


def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    props = model.model_json_schema().get("properties", {})
    return {k: p["default"] for k, p in props.items() if p.get("default") not in (None, "")}


def _initial(data: BaseModel | dict[str, Any] | None) -> dict[str, Any]:
    """The values as the form shows them (dates day/month/year)."""
    if isinstance(data, BaseModel):
        values = data.model_dump(mode="json", exclude_none=True)
        for name in type(data).model_fields:
            day = getattr(data, name)
            if isinstance(day, dt.date):
                values[name] = day.strftime("%d/%m/%Y")
        return values
    return {k: v for k, v in (data or {}).items() if v is not None and v != ""}


def _pick(model: type[M], values: dict[str, Any], choice: Choice) -> dict[str, Any] | None:
    """Ask the operator to pick from `choice`'s list; the values with the value picked."""
    answer = _ask(model, values, f"**{choice.title}** (ô “{choice.title}” bên dưới), rồi "
                                 "bấm **Submit**; hoặc bật **Hủy thao tác** để bỏ.",
                  choice=choice)
    if answer is None:
        return None
    picked = answer.get(choice.field)
    if picked in choice.options:
        answer[choice.field] = choice.options[picked]
    else:
        answer.pop(choice.field, None)  # nothing picked: the list comes again
    return answer


def act(model: type[M], data: M | dict[str, Any] | None,
        action: Callable[[M], R], *,
        pick: Callable[[M], Choice | None] | None = None) -> R | None:
    """Carry out an operator action, asking again until it is right; None if cancelled.

    `pick`, when given, offers a list (the unit's deadlines, say) for a field the
    operator left empty: the two-step form of a long list.
    """
    log = get_run_logger()
    values = {**_defaults(model), **_initial(data)}  # as the form shows them
    problem: UserError | None = None
    while True:
        if problem is not None:
            log.info("Chưa ghi được, hỏi lại người vận hành: %s", problem.render())
            answer = _ask(model, values, f"**Chưa ghi được.** {problem.render()}\n\n"
                                         "Sửa ô bị lỗi (các ô khác giữ nguyên) rồi bấm "
                                         "**Submit**; hoặc bật **Hủy thao tác** để bỏ.",
                          problem=problem)
            if answer is None:
                break
            values, problem = answer, None
        try:
            cmd = parse_command(model, values)
            choice = pick(cmd) if pick is not None else None
        except UserError as exc:
            problem = exc
            continue
        if choice is not None:
            picked = _pick(model, values, choice)
            if picked is None:
                break
            values = picked
            continue
        echo = date_echo(cmd)
        if echo:
            answer = _ask(model, values, f"Kiểm tra trước khi ghi:\n\n{echo}\n\n"
                                         "Đúng thì bật **Xác nhận đúng** rồi bấm **Submit**; "
                                         "sai thì sửa ô bên dưới.",
                          confirm=True)
            if answer is None:
                break
            confirmed = bool(answer.pop(CONFIRM, False))
            if answer != values or not confirmed:
                values = answer  # changed or not confirmed: check and echo again
                continue
        try:
            return action(cmd)
        except UserError as exc:
            problem = exc
    log.info("Người vận hành đã hủy thao tác: không ghi gì.")
    return None
