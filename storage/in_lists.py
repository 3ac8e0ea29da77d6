"""IN lists of a fixed length, compiled once.

SQLAlchemy renders an `expanding` list into its statement again at every execution (about
55 µs a list on a booking); a statement with one parameter a member is compiled once for
each length and cached like any other. A list is padded to its statement's length with its
last member (a member twice changes nothing), an empty one with NULL (which matches nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BindParameter, bindparam


def members(name: str, length: int) -> list[BindParameter[Any]]:
    """The parameters of a list of `length` members, `name_0` onwards."""
    return [bindparam(f"{name}_{index}") for index in range(length)]


def fixed_list(name: str, values: Sequence[Any]) -> tuple[int, dict[str, Any]]:
    """The length of the statement for `values` (the next power of two: few statements) and
    the values of its `members(name, length)`."""
    length = 1 if len(values) <= 1 else 1 << (len(values) - 1).bit_length()
    padding = values[-1] if values else None
    padded = [*values, *[padding] * (length - len(values))]
    return length, {f"{name}_{index}": value for index, value in enumerate(padded)}
