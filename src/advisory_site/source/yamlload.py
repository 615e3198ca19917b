"""Load YAML safely and remember where every key and value stands in the file.

Why not ``yaml.safe_load``: we need line numbers for every field, duplicate keys reported
(PyYAML keeps the last silently), dates kept as text so we can parse them with clear messages,
``yes``/``no``/``on``/``off`` kept as text (the "Norway problem"), and anchors/aliases refused so no
file can expand into gigabytes ("billion laughs").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from advisory_site.core.errors import ContentError

MAX_DEPTH = 16
"""Deepest nesting accepted; real front matter needs 3."""

UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Characters no text may hold: invisible in review, invalid in XML feeds, or not encodable
(C0 controls but tab and newlines, DEL, C1 controls, lone surrogates, non-characters)."""
Path = tuple[str | int, ...]

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_STR = "tag:yaml.org,2002:str"  # constructed as the scalar's text (SafeConstructor's own way)
_BOOL = "tag:yaml.org,2002:bool"
_ALLOWED_TAGS = frozenset(
    {
        None,
        "!",
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:seq",
        "tag:yaml.org,2002:map",
    }
)
_STRICT_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


def _resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    """SafeLoader's implicit resolvers without timestamps and with only true/false as booleans."""
    resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = [(tag, regexp) for tag, regexp in entries if tag not in (_TIMESTAMP, _BOOL)]
        if first in "tTfF":
            kept.append((_BOOL, _STRICT_BOOL))
        if kept:
            resolvers[first] = kept
    return resolvers


class _Refused(yaml.MarkedYAMLError):
    pass


def _refused(problem: str, event: Any) -> _Refused:
    return _Refused(problem=problem, problem_mark=event.start_mark)


class _Guarded:
    """Composes nodes like PyYAML's Composer, refusing aliases, anchors, tags and deep nesting."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()  # type: ignore[attr-defined]
        if isinstance(event, yaml.AliasEvent):
            raise _refused("aliases (*name) are not allowed; write the value out in full", event)
        if getattr(event, "anchor", None):
            raise _refused("anchors (&name) are not allowed; write the value out in full", event)
        tag = getattr(event, "tag", None)
        if tag not in _ALLOWED_TAGS:
            raise _refused(f"the YAML tag {tag} is not allowed; remove it", event)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _refused(f"values are nested more than {MAX_DEPTH} levels deep", event)
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


class _Loader(_Guarded, yaml.SafeLoader):
    """The reference loader, pure Python: its messages are the ones press staff see."""

    yaml_implicit_resolvers = _resolvers()


_CParser: Any = getattr(yaml, "__with_libyaml__", False) and getattr(yaml.cyaml, "CParser", None)
_FastLoader: Any = None
_FastestLoader: Any = None
if _CParser:

    class _CLoader(
        _Guarded,
        yaml.composer.Composer,  # Python composing (with our checks) over libyaml's events
        _CParser,  # type: ignore[misc]  # libyaml's class is typed Any here
        yaml.constructor.SafeConstructor,
        yaml.resolver.Resolver,
    ):
        """libyaml's parser, PyYAML's composer and constructor: the same nodes, marks and checks."""

        yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    class _CComposer(
        _CParser,  # type: ignore[misc]
        yaml.constructor.SafeConstructor,
        yaml.resolver.Resolver,
    ):
        """libyaml's parser and composer, both in C: the same nodes without the composer's
        checks, so only for texts that cannot need them (``_unguarded``)."""

        yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _FastLoader = _CLoader
    _FastestLoader = _CComposer

UNGUARDED_LENGTH = 4096
"""The longest text composed without the guarded composer's checks (see ``_unguarded``)."""


def _unguarded(text: str) -> bool:
    """Whether ``text`` can be composed in C without the checks of ``_Guarded``: with no '&',
    '*' or '!' it has no anchor, alias or tag, and a short text cannot nest deep enough to
    exhaust the C composer's stack (``_build`` refuses more than MAX_DEPTH levels)."""
    return len(text) <= UNGUARDED_LENGTH and "&" not in text and "*" not in text and "!" not in text


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int


@dataclass(slots=True)
class Positions:
    """Where each value and each mapping key stands, by path from the root (1-based)."""

    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)

    def of_value(self, path: Path) -> Position:
        """The position of the value at ``path``, or of its nearest enclosing value."""
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, Position(1, 1))

    def of_key(self, path: Path) -> Position:
        return self.keys.get(path) or self.of_value(path)


@dataclass(frozen=True, slots=True)
class Loaded:
    data: Any
    positions: Positions


def load_yaml(text: str, *, path: str, first_line: int = 1) -> Loaded | ContentError:
    """Parse ``text`` (which starts at line ``first_line`` of ``path``) into plain values.

    Returns plain dicts, lists, strings, numbers, booleans and None with their positions, or the
    first problem found as a ContentError in file coordinates. libyaml parses where it is
    installed; any problem is reported by the pure Python parser, whose messages are the reference.
    """
    # The pure reader's check of characters first, so libyaml never sees what it would refuse.
    if _FastLoader is not None and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        try:
            fast = (_FastestLoader if _unguarded(text) else _FastLoader)(text)
        except yaml.YAMLError:
            fast = None
        loaded = _load(fast, path=path, first_line=first_line, text=text) if fast else None
        if isinstance(loaded, Loaded):
            return loaded
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not accept
        before = text[: exc.position]
        return ContentError(
            path=path,
            line=before.count("\n") + first_line,
            column=exc.position - (before.rfind("\n") + 1) + 1,
            message=f"YAML cannot contain the character U+{exc.character:04X}",
            hint="delete it",
        )
    return _load(loader, path=path, first_line=first_line, text=text)


def _load(loader: Any, *, path: str, first_line: int, text: str) -> Loaded | ContentError:
    # a value can only hold a character text cannot if the text does, or spells it with an escape
    check = "\\" in text or UNPRINTABLE.search(text) is not None
    try:
        node = loader.get_single_node()
        positions = Positions()
        if node is None:
            return Loaded(None, positions)
        errors: list[ContentError] = []
        data = _build(
            loader,
            node=node,
            path=(),
            positions=positions,
            errors=errors,
            file=path,
            first_line=first_line,
            check=check,
        )
        if errors:
            return errors[0]
        return Loaded(data, positions)
    except yaml.MarkedYAMLError as exc:
        return _yaml_error(exc, path, first_line)
    except _TooDeepError:  # only libyaml's composer lets it through; the reference says why
        return ContentError(path=path, line=first_line, message="YAML nested too deep")
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML raises marked errors for text input
        return ContentError(path=path, line=first_line, message=f"YAML error: {exc}")
    finally:
        loader.dispose()


def _position(mark: Any, first_line: int) -> Position:
    return Position(mark.line + first_line, mark.column + 1)


def _build(
    loader: Any,
    *,
    node: yaml.Node,
    path: Path,
    positions: Positions,
    errors: list[ContentError],
    file: str,
    first_line: int,
    check: bool,
) -> Any:
    if len(path) >= MAX_DEPTH:
        raise _TooDeepError
    positions.values[path] = _position(node.start_mark, first_line)
    if isinstance(node, yaml.ScalarNode):
        value = node.value if node.tag == _STR else loader.construct_object(node)
        if check and isinstance(value, str) and UNPRINTABLE.search(value):
            errors.append(_unprintable(value, positions.values[path], file))
        return value
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(
                loader,
                node=child,
                path=(*path, index),
                positions=positions,
                errors=errors,
                file=file,
                first_line=first_line,
                check=check,
            )
            for index, child in enumerate(node.value)
        ]
    assert isinstance(node, yaml.MappingNode)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        where = _position(key_node.start_mark, first_line)
        if not isinstance(key_node, yaml.ScalarNode):
            errors.append(
                ContentError(
                    path=file,
                    line=where.line,
                    column=where.column,
                    message="a field name must be plain text",
                )
            )
            continue
        key = key_node.value if key_node.tag == _STR else str(loader.construct_object(key_node))
        if check and UNPRINTABLE.search(key):
            errors.append(_unprintable(key, where, file))
            continue
        if key in result:
            first = positions.keys[(*path, key)]
            errors.append(
                ContentError(
                    path=file,
                    line=where.line,
                    column=where.column,
                    field=".".join(str(part) for part in (*path, key)),
                    message=f"appears twice (first on line {first.line})",
                    hint="keep one of them",
                )
            )
            continue
        positions.keys[(*path, key)] = where
        result[key] = _build(
            loader,
            node=value_node,
            path=(*path, key),
            positions=positions,
            errors=errors,
            file=file,
            first_line=first_line,
            check=check,
        )
    return result


class _TooDeepError(Exception):
    """More than MAX_DEPTH levels: the guarded composers refuse them before ``_build`` sees them."""


def _unprintable(text: str, where: Position, file: str) -> ContentError:
    # only an escape such as "\x1b" or "\ud800" can put one here: the file itself was checked
    bad = UNPRINTABLE.search(text)
    assert bad is not None
    return ContentError(
        path=file,
        line=where.line,
        column=where.column,
        message=f"the escape for U+{ord(bad.group()):04X} makes a character text cannot hold",
        hint="remove the escape sequence",
    )


def _yaml_error(exc: yaml.MarkedYAMLError, path: str, first_line: int) -> ContentError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    hint = ""
    if "mapping values are not allowed" in problem:
        hint = "put text that contains ': ' in quotes, and check the indentation"
    elif "found character '\\t'" in problem:
        hint = "indent with spaces, not tabs"
    elif "could not find expected ':'" in problem:
        hint = "each field is written 'name: value'"
    if isinstance(exc, _Refused):
        hint = ""
    line = mark.line + first_line if mark else first_line
    column = mark.column + 1 if mark else 1
    return ContentError(
        path=path, line=line, column=column, message=f"YAML syntax: {problem}", hint=hint
    )
