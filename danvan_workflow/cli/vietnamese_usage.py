"""Usage errors and help headings of the `danvan` CLI in Vietnamese.

click and typer mark their texts for gettext (`_("Missing option")`) but ship no
Vietnamese catalog, and gettext would pick a language from the environment. This module
is that catalog, installed into the modules that translate: the operator reads
"Thiếu tùy chọn '--unit'." whatever the machine's locale.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape

__all__ = ["MESSAGES", "install", "translate", "translate_error"]

MESSAGES: dict[str, str] = {
    # click.exceptions
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem '{command} {option}' để được hướng dẫn.",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: "
                                                 "{message}",
    "Missing argument": "Thiếu đối số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "No such option: {name}": "Không có tùy chọn {name}",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "Did you mean {possibility}?": "Có phải ý bạn là {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Có phải ý bạn là một trong: "
                                               "{possibilities}?)",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "Option {name!r} requires an argument.": "Tùy chọn {name!r} cần một giá trị.",
    "Option {name!r} requires {nargs} arguments.": "Tùy chọn {name!r} cần {nargs} giá trị.",
    "Argument {name!r} takes {nargs} values.": "Đối số {name!r} nhận {nargs} giá trị.",
    "Got unexpected extra argument ({args})": "Thừa đối số ({args})",
    "Got unexpected extra arguments ({args})": "Thừa các đối số ({args})",
    "Takes {nargs} values but 1 was given.": "Cần {nargs} giá trị nhưng chỉ có 1.",
    "Takes {nargs} values but {len} were given.": "Cần {nargs} giá trị nhưng có {len}.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "Missing command.": "Thiếu lệnh.",
    "Aborted!": "Đã dừng.",
    "Aborted.": "Đã dừng.",
    "unknown error": "lỗi không xác định",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: "
                                                   "{message}",
    "Invalid start character for option ({option})": "Tùy chọn bắt đầu bằng ký tự không "
                                                     "hợp lệ ({option})",
    # click.types
    "{value!r} is not a valid {number_type}.": "{value!r} không phải là {number_type} hợp lệ.",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{value!r} is not {choice}.": "{value!r} không phải là {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} không thuộc các giá trị {choices}.",
    "{value!r} does not match the format {format}.": "{value!r} không đúng dạng {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} không đúng các dạng "
                                                       "{formats}.",
    "{value!r} is not a valid UUID.": "{value!r} không phải là UUID hợp lệ.",
    "{value!r} is not a valid boolean.": "{value!r} không phải là giá trị có/không hợp lệ.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} không tồn tại.",
    "{name} {filename!r} is a file.": "{name} {filename!r} là một tệp.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} là một thư mục.",
    "{name} {filename!r} is not readable.": "Không đọc được {name} {filename!r}.",
    "{name} {filename!r} is not writable.": "Không ghi được vào {name} {filename!r}.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} không chạy được.",
    "file": "tệp", "directory": "thư mục", "path": "đường dẫn",
    "integer": "số nguyên", "float": "số thực",
    "Value must be an iterable.": "Giá trị phải là một danh sách.",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    # help
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Arguments": "Đối số",
    "Commands": "Lệnh",
    "Positional arguments": "Đối số theo vị trí",
    "Show this message and exit.": "Hiện hướng dẫn này rồi thoát.",
    "default: {default}": "mặc định: {default}",
    "[default: {}]": "[mặc định: {}]",
    "env var: {var}": "biến môi trường: {var}",
    "[env var: {}]": "[biến môi trường: {}]",
    "required": "bắt buộc",
    "[required]": "[bắt buộc]",
    "(dynamic)": "(tùy lúc)",
    "deprecated": "không còn dùng",
    "(deprecated) ": "(không còn dùng) ",
    "Error": "Lỗi",
    "Try [blue]'{command_path} {help_option}'[/] for help.":
        "Xem [blue]'{command_path} {help_option}'[/] để được hướng dẫn.",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Error: The two entered values do not match.": "Lỗi: hai giá trị nhập không khớp.",
    "Error: invalid input": "Lỗi: giá trị nhập không hợp lệ",
    "Do you want to continue?": "Tiếp tục?",
}

_MODULES = ("typer.core", "typer.main", "typer.rich_utils")
_CONSTANTS = {"ARGUMENTS_PANEL_TITLE": "Arguments", "OPTIONS_PANEL_TITLE": "Options",
              "COMMANDS_PANEL_TITLE": "Commands", "ERRORS_PANEL_TITLE": "Error",
              "ABORTED_TEXT": "Aborted.", "RICH_HELP":
              "Try [blue]'{command_path} {help_option}'[/] for help.",
              "DEFAULT_STRING": "[default: {}]", "ENVVAR_STRING": "[env var: {}]",
              "REQUIRED_LONG_STRING": "[required]", "DEPRECATED_STRING": "(deprecated) "}

# typer's own copy of click writes these with f-strings: translated by pattern
_KINDS = {"option": "tùy chọn", "argument": "đối số", "parameter": "tham số"}
_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"No such option: (\S+)(?: \(Possible options: (.*)\))?", re.S),
     lambda g: f"không có tùy chọn {g[1]}" + (f" (có thể là: {g[2]})" if g[2] else "")),
    (re.compile(r"Missing (option|argument|parameter)(?: (.+?))?\.(?: .*)?", re.S),
     lambda g: f"thiếu {_KINDS[g[1]]} bắt buộc" + (f" {g[2]}" if g[2] else "")),
    (re.compile(r"Missing parameter: (.+)", re.S), lambda g: f"thiếu tham số {g[1]}"),
    (re.compile(r"Invalid value for (.+?): (.*)", re.S),
     lambda g: f"giá trị không hợp lệ cho {g[1]}: {_value_problem(g[2])}"),
    (re.compile(r"Invalid value: (.*)", re.S),
     lambda g: f"giá trị không hợp lệ: {_value_problem(g[1])}"),
    (re.compile(r"Option (.+?) requires an argument\.?", re.S),
     lambda g: f"tùy chọn {g[1]} cần một giá trị"),
    (re.compile(r"Option (.+?) requires (\d+) arguments\.?", re.S),
     lambda g: f"tùy chọn {g[1]} cần {g[2]} giá trị"),
    (re.compile(r"Option (.+?) does not take a value\.?", re.S),
     lambda g: f"tùy chọn {g[1]} không nhận giá trị"),
    (re.compile(r"Argument (.+?) takes (\d+) values\.?", re.S),
     lambda g: f"đối số {g[1]} nhận {g[2]} giá trị"),
    (re.compile(r"Got unexpected extra argument(?:\(s\)|s)? \((.*)\)", re.S),
     lambda g: f"thừa đối số: {g[1]}"),
    (re.compile(r"(.*?)\.? Did you mean (.+?)\?", re.S),
     lambda g: f"{translate_error(g[1])}. Có phải ý bạn là {g[2]}?"),
]

# pydantic's words, as typer reports a value it could not convert
_VALUE_PROBLEMS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"Input should be a valid integer"), lambda g: "phải là số nguyên"),
    (re.compile(r"Input should be a valid (number|decimal|float)"), lambda g: "phải là số"),
    (re.compile(r"Input should be a valid boolean"), lambda g: "phải là có hoặc không"),
    (re.compile(r"Input should be a valid date"), lambda g: "phải là một ngày hợp lệ"),
    (re.compile(r"Input should be greater than or equal to (\S+)"),
     lambda g: f"phải lớn hơn hoặc bằng {g[1]}"),
    (re.compile(r"Input should be greater than (\S+)"), lambda g: f"phải lớn hơn {g[1]}"),
    (re.compile(r"Input should be less than or equal to (\S+)"),
     lambda g: f"phải nhỏ hơn hoặc bằng {g[1]}"),
    (re.compile(r"Input should be less than (\S+)"), lambda g: f"phải nhỏ hơn {g[1]}"),
    (re.compile(r"Input should be (.+)"), lambda g: "phải là " + g[1].replace(" or ", " hoặc ")),
    (re.compile(r"Value error, (.*)", re.S), lambda g: g[1]),
    (re.compile(r"'(.*)' is not one of (.*)\.?", re.S),
     lambda g: f"'{g[1]}' không thuộc các giá trị {g[2]}"),
    (re.compile(r"(.*) is not a valid (integer|float|boolean)\.?", re.S),
     lambda g: f"{g[1]} không phải là {translate(g[2])} hợp lệ"),
]


def _value_problem(text: str) -> str:
    for pattern, render in _VALUE_PROBLEMS:
        g = pattern.match(text.strip())
        if g:
            return render(g)
    # an ASCII-only sentence is typer's English: do not show it to the operator
    return text if not text.isascii() or not re.search(r"[a-z]{3,} [a-z]{3,}", text) \
        else "giá trị không hợp lệ"


def translate_error(message: str) -> str:
    """A usage error of typer's click, in Vietnamese (unknown English: a plain sentence)."""
    text = message.strip()
    if text in MESSAGES:
        return MESSAGES[text]
    for pattern, render in _PATTERNS:
        g = pattern.fullmatch(text)
        if g:
            return render(g)
    return _value_problem(text)


def translate_usage(usage: str) -> str:
    return (usage.replace("Usage:", "Cách dùng:").replace("[OPTIONS]", "[TÙY CHỌN]")
            .replace("COMMAND [ARGS]...", "LỆNH [ĐỐI SỐ]..."))


def translate(message: str) -> str:
    return MESSAGES.get(message, message)


def translate_plural(singular: str, plural: str, n: int) -> str:
    return translate(singular if n == 1 else plural)


def print_usage_error(exc: Any) -> None:
    """Replaces typer's error panel: the usage line, where to find help, the error."""
    if exc.__class__.__name__ == "NoArgsIsHelpError":
        return
    console = Console(stderr=True)
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        console.print(translate_usage(ctx.get_usage()), highlight=False, markup=False)
        if ctx.command.get_help_option(ctx) is not None:
            console.print(f"Xem '{ctx.command_path} {ctx.help_option_names[0]}' để được "
                          "hướng dẫn.", highlight=False, markup=False, style="dim")
    console.print(f"[bold red]Lỗi:[/] {escape(translate_error(exc.format_message()))}",
                  highlight=False, soft_wrap=True)


def install() -> None:
    """Put the catalog and the error printer into typer (idempotent)."""
    for name in _MODULES:
        mod: Any = importlib.import_module(name)
        if hasattr(mod, "_"):
            mod._ = translate
        if hasattr(mod, "ngettext"):
            mod.ngettext = translate_plural
    rich_utils: Any = importlib.import_module("typer.rich_utils")
    for const, english in _CONSTANTS.items():
        if hasattr(rich_utils, const):
            setattr(rich_utils, const, translate(english))
    rich_utils.rich_format_error = print_usage_error
    decorators: Any = importlib.import_module("typer._click.decorators")
    original = getattr(decorators, "_danvan_original_help_option", decorators.help_option)
    decorators._danvan_original_help_option = original

    def help_option(names: list[str]) -> Callable[[Any], Any]:
        apply = original(names)

        def decorate(command: Any) -> Any:
            out = apply(command)
            command.params[-1].help = MESSAGES["Show this message and exit."]
            return out

        return decorate

    decorators.help_option = help_option
