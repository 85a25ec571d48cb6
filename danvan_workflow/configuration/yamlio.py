"""YAML reading that keeps line numbers, so every error can name file and line."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError

from danvan_workflow.errors import UserError


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value


class YamlDoc:
    """A parsed file: plain data for validation plus the node tree for line lookups."""

    def __init__(self, path: Path, display: str, root: Any) -> None:
        self.path = path
        self.display = display
        self.root = root

    @property
    def data(self) -> Any:
        return _nfc(_plain(self.root))

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


_PROBLEMS = {
    "found duplicate key": "khóa bị khai báo hai lần",
    "found character '\\t' that cannot start any token": "không dùng ký tự tab để thụt lề",
    "mapping values are not allowed here": "dấu ':' không đúng chỗ (thiếu dấu nháy?)",
    "could not find expected ':'": "thiếu dấu ':'",
    "found unexpected end of stream": "tệp kết thúc bất ngờ (thiếu dấu nháy đóng?)",
}


def _vi_problem(problem: str | None) -> str:
    text = problem or ""
    for en, vi in _PROBLEMS.items():
        if text.startswith(en):
            return f"{vi} ({text})"
    return text


class _Constructor(RoundTripConstructor):
    """Dates stay text here; pydantic parses them and reports a bad one with its line."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_str)


def read_yaml(path: Path, display: str) -> YamlDoc:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError("tệp không phải UTF-8", file=display, line=1) from exc
    try:
        root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise UserError(f"lỗi cú pháp YAML: {_vi_problem(exc.problem or exc.context)}",
                        file=display, line=line) from exc
    return YamlDoc(path, display, root if root is not None else CommentedMap())
