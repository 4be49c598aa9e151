"""YAML configuration files validated into pydantic models, with errors that name the line.

Used by column mappings and framework files: every problem is reported as
`file.yaml:42 measures[3].polarity: got 'upward'; expected ...`, all problems at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from policeperf.errors import PolicePerfError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


class ConfigError(PolicePerfError):
    """A configuration file has problems; the message lists each on its own line."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        head = problems[0] if len(problems) == 1 else f"{path}: {len(problems)} problems"
        body = "" if len(problems) == 1 else "\n" + "\n".join(f"  {p}" for p in problems)
        super().__init__(head + body)


def _lines(node: yaml.Node, loc: Loc, out: dict[Loc, int]) -> None:
    """Record the line of every key (where a mapping entry starts) and of every list item."""
    out.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value
            out[(*loc, name)] = key.start_mark.line + 1
            _lines(value, (*loc, name), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*loc, i), out)


MAX_YAML_BYTES = 1024**2
"""Largest configuration file read (1 MiB; the shipped framework is about 30 KiB)."""
MAX_YAML_DEPTH = 32
"""Deepest nesting of mappings and lists (the framework schema needs 8)."""


FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # type: ignore[assignment]
"""libyaml's parser when PyYAML was built with it: the same events, nodes and line marks as the
pure-Python one, several times faster. Errors are re-read with the pure-Python parser so that
their messages stay word for word."""


def _check_safe(text: str, display: str, loader: type[yaml.SafeLoader]) -> None:
    """Refuse aliases (`*name`: an anchor bomb grows exponentially) and deep nesting (a stack
    overflow in the parser) by walking the parser's events, before anything is built."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            raise ConfigError(
                display,
                [f"{display}:{event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not "
                 "allowed; write the value out"],
            )  # fmt: skip
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise ConfigError(
                    display,
                    [f"{display}:{event.start_mark.line + 1}: nested more than {MAX_YAML_DEPTH} "
                     "levels deep; expected a flatter file"],
                )  # fmt: skip
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_yaml(path: Path) -> tuple[Any, dict[Loc, int]]:
    """Parse a YAML file into data plus a map from location to line number. Files over
    `MAX_YAML_BYTES`, aliases and nesting deeper than `MAX_YAML_DEPTH` are refused."""
    display = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ConfigError(
                display,
                [f"{display}: {size:,} bytes; expected a configuration file under "
                 f"{MAX_YAML_BYTES // 1024:,} KiB"],
            )  # fmt: skip
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(display, [f"{display}: no such file"]) from exc
    except IsADirectoryError as exc:
        raise ConfigError(display, [f"{display}: is a folder; expected a YAML file"]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(display, [f"{display}: not UTF-8 text"]) from exc
    try:
        try:
            node, data = _parse(text, display, FAST_LOADER)
        except yaml.YAMLError:
            node, data = _parse(text, display, yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{display}:{mark.line + 1}" if mark else display
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(display, [f"{where}: invalid YAML ({problem})"]) from exc
    lines: dict[Loc, int] = {}
    if node is not None:
        _lines(node, (), lines)
    return data, lines


def _parse(text: str, display: str, loader: type[yaml.SafeLoader]) -> tuple[Any, Any]:
    _check_safe(text, display, loader)
    return yaml.compose(text, Loader=loader), yaml.load(text, Loader=loader)


def format_loc(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of `loc`, or of its nearest ancestor that exists in the file."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def problem(path: str, lines: dict[Loc, int], loc: Loc, message: str) -> str:
    line = line_of(lines, loc)
    where = f"{path}:{line}" if line else path
    return f"{where} {format_loc(loc)}: {message}" if loc else f"{where}: {message}"


def _describe(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    given = error.get("input")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "missing; required"
    message = str(error.get("msg", "invalid"))
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind.startswith("literal_error"):
        expected = message.removeprefix("Input should be ")
        return f"got {given!r}; expected {expected}"
    if given is not None and not isinstance(given, dict | list):
        return f"got {given!r}; {message[0].lower() + message[1:]}"
    return message


def validate_file(path: Path, model: type[M], *, context: dict[str, Any] | None = None) -> M:
    """Load `path` into `model`, turning every validation error into a line-numbered problem."""
    data, lines = load_yaml(path)
    display = str(path)
    if not isinstance(data, dict):
        raise ConfigError(display, [f"{display}: expected a mapping at the top level"])
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        found = [(_data_loc(data, error["loc"]), dict(error)) for error in exc.errors()]
        # A union reports one error per alternative; keep the deepest (most specific) ones.
        locs = [loc for loc, _ in found]
        problems = [
            problem(display, lines, loc, _describe(error))
            for loc, error in found
            if not any(other != loc and other[: len(loc)] == loc for other in locs)
        ]
        raise ConfigError(display, list(dict.fromkeys(problems))) from None


def _data_loc(data: Any, loc: Iterable[str | int]) -> Loc:
    """The error location as a path through the data, without pydantic's union-member tags."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
            out.append(part)
        elif part == "[key]":
            out.append("[key]")
    return tuple(out)
