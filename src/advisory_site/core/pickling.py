"""Quicker pickling for the frozen, slotted dataclasses that a build pickles by the ten thousand
(releases cross between processes and go into the build cache)."""

from __future__ import annotations

import copyreg
import dataclasses
import operator
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# class -> the setters of its slots, in the order of its fields (see _restore)
_SETTERS: dict[type, tuple[Callable[[Any, Any], None], ...]] = {}


def quick_pickle(cls: type[T]) -> type[T]:
    """Pickle instances of ``cls`` (a frozen dataclass with slots) as their field values.

    Python's dataclasses pickle such a class with methods that list its fields again for every
    object: a quarter of the time of packing a release for the cache, and of unpacking it.
    Values are matched to fields by position, which only a pickle made by the same source may
    rely on: the build cache is keyed by the engine's source, and workers are forked.
    """
    names = tuple(field.name for field in dataclasses.fields(cls))  # type: ignore[arg-type]
    values = operator.attrgetter(*names)  # a tuple of them, unless there is one
    single = len(names) == 1
    # the slots' own setters: past the __setattr__ of a frozen dataclass, as its __init__ goes
    _SETTERS[cls] = tuple(vars(cls)[name].__set__ for name in names)
    copyreg.pickle(cls, lambda obj: (_restore, (cls, (values(obj),) if single else values(obj))))
    return cls


def _restore(cls: type[T], values: tuple[Any, ...]) -> T:
    obj = object.__new__(cls)
    for set_value, value in zip(_SETTERS[cls], values, strict=True):
        set_value(obj, value)
    return obj
