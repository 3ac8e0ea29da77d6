"""Objects of table models for rows that a Core statement inserts."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from sqlmodel import SQLModel

Model = TypeVar("Model", bound=SQLModel)
_REQUIRED = object()


def new_row(model: type[Model], **values: Any) -> Model:
    """The model's object filled as SQLAlchemy fills one it loads: each field's value (or its
    default) straight into the object's dictionary, without the attribute events and copies
    of SQLModel's constructor (most of a visit's 0.3 ms object). For a row about to be inserted
    by a Core statement: the caller sets what the insert returns, then attaches it to the
    session (`make_transient_to_detached`, `Session.add`)."""
    fields = _fields(model)
    unknown = values.keys() - fields.keys()
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    row = model.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    filled = row.__dict__
    for name, (default, factory) in fields.items():
        if name in values:
            filled[name] = values[name]
        elif factory is not None:
            filled[name] = factory()
        elif default is _REQUIRED:
            raise TypeError(f"{model.__name__} needs {name}")
        else:
            filled[name] = default
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    return row


@cache
def _fields(model: type[SQLModel]) -> dict[str, tuple[Any, Callable[[], Any] | None]]:
    """Each field's default, or the factory that makes it (none: required)."""
    fields = {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            fields[name] = (None, field.default_factory)
        else:
            fields[name] = (_REQUIRED if field.is_required() else field.default, None)
    return fields
