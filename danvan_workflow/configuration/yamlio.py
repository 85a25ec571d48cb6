"""YAML reading that keeps line numbers, so every error can name file and line.

Configuration files are read defensively; each refusal is a Vietnamese ``UserError``
naming the file and line, never a traceback:

- plain YAML only: no tags other than YAML's own (``!!python/object/apply`` and
  any ``!custom`` tag are refused before anything is built);
- at most ``MAX_FILE_BYTES`` per file, ``MAX_DEPTH`` levels of nesting,
  ``MAX_ALIASES`` aliases (``*name``) and ``MAX_ALIAS_NODES`` values repeated through
  them: a "billion laughs" file is refused after composing its (small) node graph,
  before any data is expanded;
- an empty file (nothing, only comments, only a byte-order mark, only ``---``) is
  refused ("tệp rỗng"): every configuration file has content (an empty reminders.yaml
  would silently drop the operators and overrides), so an empty file is a mistake —
  delete the file instead;
- syntax errors are worded in Vietnamese and placed on the line to fix (an unclosed
  quote is reported where it opens, not where the parser gave up).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.tokens import ScalarToken

from danvan_workflow.core.vietnamese import nfc
from danvan_workflow.errors import UserError

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 50
MAX_ALIASES = 500
MAX_ALIAS_NODES = 10_000  # values an alias may repeat, all aliases of a file together

# YAML's own tags; anything else (python/*, !custom, !!binary, !!set...) is refused
_ALLOWED_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in (
    "str", "int", "float", "bool", "null", "seq", "map", "timestamp", "merge"))


def _nfc_deep(value: Any) -> Any:
    """Every string of a parsed document (mappings and lists walked) in NFC."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        return {k: _nfc_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc_deep(v) for v in value]
    return value


class YamlDoc:
    """A parsed file: plain data for validation plus the node tree for line lookups.

    `display` names the file in messages ("config/plans/x.yaml"); `source` is its path
    relative to the configuration folder ("plans/x.yaml"), the same whatever the
    folder is called: it is what the database keeps (`source_file`).
    """

    def __init__(self, path: Path, display: str, root: Any, source: str | None = None
                 ) -> None:
        self.path = path
        self.display = display
        self.source = source if source is not None else display
        self.root = root

    @property
    def data(self) -> Any:
        return _nfc_deep(_plain(self.root))

    def line_of(self, loc: Sequence[str | int]) -> int:
        """1-based line of the deepest node `loc` reaches (a missing key: its parent)."""
        node = self.root
        line = 1
        for part in loc:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                if isinstance(node, CommentedMap | CommentedSeq):
                    line = max(line, node.lc.line + 1)
                break
        return line

    def error(self, loc: Sequence[str | int], message: str) -> UserError:
        return UserError(message, file=self.display, line=self.line_of(loc))


def _plain(node: Any) -> Any:
    if isinstance(node, CommentedMap):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [_plain(v) for v in node]
    return node


# --- refusals before anything is built ---------------------------------------------------


class _Refused(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _line(mark: Any) -> int:
    return int(mark.line) + 1 if mark is not None else 1


class _Composer(Composer):
    """Counts nesting and aliases while composing, and refuses foreign tags."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._level = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if self.parser.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(f"quá nhiều tham chiếu '*' (tối đa {MAX_ALIASES})",
                               _line(event.start_mark))
            return super().compose_node(parent, index)
        tag = getattr(event, "tag", None)
        if tag is not None and str(tag) not in _ALLOWED_TAGS:
            shown = str(tag).replace("tag:yaml.org,2002:", "!!")
            raise _Refused(f"thẻ YAML '{shown}' không được phép (tệp cấu hình chỉ chứa "
                           "văn bản, số, danh sách và mục có các trường)",
                           _line(event.start_mark))
        self._level += 1
        try:
            if self._level > MAX_DEPTH:
                raise _Refused(f"dữ liệu lồng nhau quá sâu (tối đa {MAX_DEPTH} cấp)",
                               _line(event.start_mark))
            return super().compose_node(parent, index)
        finally:
            self._level -= 1


def _check_expansion(root: Any) -> None:
    """Refuse aliases that would repeat more than MAX_ALIAS_NODES values, or a cycle.

    Sizes are memoised per node, so this is linear in the composed graph even when its
    expansion is astronomically large.
    """
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    budget = MAX_ALIAS_NODES

    def size(node: Any) -> int:
        nonlocal budget
        key = id(node)
        if key in sizes:
            budget -= sizes[key]  # seen before: an alias repeats the whole subtree
            if budget < 0:
                raise _Refused(f"các tham chiếu '*' lặp lại quá nhiều giá trị (tối đa "
                               f"{MAX_ALIAS_NODES})", _line(node.start_mark))
            return sizes[key]
        if key in visiting:
            raise _Refused("tham chiếu '*' trỏ vào chính mục chứa nó (vòng lặp)",
                           _line(node.start_mark))
        visiting.add(key)
        total = 1
        if isinstance(node, MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
        elif isinstance(node, SequenceNode):
            for v in node.value:
                total += size(v)
        visiting.discard(key)
        sizes[key] = total
        return total

    size(root)


class _Constructor(RoundTripConstructor):
    """Dates stay text here; pydantic parses them and reports a bad one with its line.

    The document is checked (tags, depth, aliases: see `_Composer`, `_check_expansion`)
    before any of it is constructed.
    """

    def get_single_data(self) -> Any:
        node = self.composer.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return self.construct_document(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_str)


# --- syntax errors in Vietnamese ---------------------------------------------------------

_PROBLEMS: list[tuple[str, str]] = [
    (r"^found duplicate key \"?(?P<key>[^\"]*)\"?", "khóa '{key}' bị khai báo hai lần"),
    (r"^found character '\\t' that cannot start any token", "không dùng ký tự tab để thụt lề"),
    (r"^found character '(?P<ch>.)' that cannot start any token",
     "ký tự '{ch}' không được đứng đầu một giá trị (đặt giá trị trong dấu nháy)"),
    (r"^mapping values are not allowed here",
     "dấu ':' không đúng chỗ (giá trị có dấu ':' phải đặt trong dấu nháy; hoặc thụt lề sai)"),
    (r"^could not find expected ':'", "thiếu dấu ':' sau tên trường"),
    (r"^found unexpected end of stream", "tệp kết thúc khi chuỗi trong dấu nháy chưa đóng"),
    (r"^found undefined alias '?(?P<name>[^']*)'?",
     "tham chiếu '*{name}' tới neo '&{name}' chưa khai báo"),
    (r"^found unknown escape character '?(?P<ch>[^']*)'?",
     "ký tự thoát '\\{ch}' không hợp lệ trong chuỗi nháy kép (dùng dấu nháy đơn)"),
    (r"^expected ',' or '\]'", "danh sách '[...]' viết sai: thiếu dấu ',' hoặc dấu ']' đóng"),
    (r"^expected ',' or '}'", "mục '{{...}}' viết sai: thiếu dấu ',' hoặc dấu '}}' đóng"),
    (r"^expected <block end>", "thụt lề không khớp với các dòng phía trên"),
    (r"^expected <block mapping start>", "thụt lề không khớp với các dòng phía trên"),
    (r"^but found another document",
     "tệp chỉ được có một tài liệu YAML (bỏ dòng '---' thứ hai)"),
    (r"^expected '<document start>'", "nội dung sau khi tài liệu đã kết thúc"),
    (r"^found a tab character", "không dùng ký tự tab để thụt lề"),
    (r"^while scanning", "cú pháp không hợp lệ"),
]

# ruamel names where a construct began in `context`: for these, that line is the one
# to fix (an unclosed quote or bracket), not the one where the parser gave up
_CONTEXT_LINE = ("while scanning a quoted scalar", "while parsing a flow sequence",
                 "while parsing a flow mapping", "while scanning a simple key")

_KEY_LINE = re.compile(r"\n[ \t]*(?:- +)?[\w.\-]+ *:(?: |$)", re.MULTILINE)


def _vi_problem(problem: str | None) -> str:
    text = (problem or "").strip()
    for pattern, vi in _PROBLEMS:
        found = re.match(pattern, text)
        if found:
            return vi.format(**found.groupdict())
    return "cú pháp không hợp lệ"


def _unclosed_quote(text: str, before_line: int) -> int | None:
    """Line where a quote opens that swallows the following lines (a forgotten closing
    quote): a quoted value spanning lines that contain `key:` or `- key:` items."""
    yaml = YAML(typ="rt")
    found: int | None = None
    try:
        for token in yaml.scan(text):
            if not isinstance(token, ScalarToken) or token.style not in ('"', "'"):
                continue
            start, end = token.start_mark.line, token.end_mark.line
            if start + 1 > before_line:
                break
            if end > start and _KEY_LINE.search(text_between(text, start, end)):
                found = start + 1
    except YAMLError:
        pass
    return found


def text_between(text: str, first: int, last: int) -> str:
    lines = text.split("\n")
    return "\n".join(lines[first:last + 1])


def _syntax_error(exc: MarkedYAMLError, text: str, display: str) -> UserError:
    problem = exc.problem or exc.context or ""
    line = _line(exc.problem_mark or exc.context_mark)
    if exc.context in _CONTEXT_LINE and exc.context_mark is not None:
        line = _line(exc.context_mark)
    message = _vi_problem(problem)
    if exc.context == "while scanning a quoted scalar":
        message = "dấu nháy mở ở dòng này chưa được đóng"
    quote = _unclosed_quote(text, line)
    if quote is not None and quote <= line:
        line, message = quote, "dấu nháy mở ở dòng này chưa được đóng"
    return UserError(f"lỗi cú pháp YAML: {message}", file=display, line=line)


def read_yaml(path: Path, display: str, source: str | None = None) -> YamlDoc:
    """Parse one configuration file (see the module docstring for what is refused)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UserError("không đọc được tệp", file=display) from exc
    if size > MAX_FILE_BYTES:
        raise UserError(f"tệp quá lớn ({size / 1024 / 1024:.1f} MB; tối đa "
                        f"{MAX_FILE_BYTES // 1024 // 1024} MB)", file=display, line=1)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise UserError("tệp không phải UTF-8 (lưu lại tệp với bảng mã UTF-8)",
                        file=display, line=line) from None
    yaml = YAML(typ="rt")
    yaml.Composer = _Composer
    yaml.Constructor = _Constructor
    try:
        root = yaml.load(text)
    except _Refused as exc:
        raise UserError(exc.message, file=display, line=exc.line) from None
    except MarkedYAMLError as exc:
        raise _syntax_error(exc, text, display) from None
    except ReaderError as exc:
        line = text[:exc.position].count("\n") + 1 if isinstance(exc.position, int) else 1
        char = exc.character if isinstance(exc.character, int) else 0
        raise UserError(f"tệp có ký tự điều khiển không được phép (mã U+{char:04X})",
                        file=display, line=line) from None
    except (YAMLError, ValueError, TypeError, RecursionError):
        raise UserError("lỗi cú pháp YAML: không đọc được tệp", file=display,
                        line=1) from None
    if root is None:
        raise UserError("tệp rỗng (không có nội dung nào ngoài chú thích); xóa tệp nếu "
                        "không dùng", file=display, line=1)
    return YamlDoc(path, display, root, source)
