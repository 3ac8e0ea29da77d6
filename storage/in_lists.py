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


def list_length(count: int) -> int:
    """The statement's length for `count` members: the next power of two (few statements)."""
    return 1 if count <= 1 else 1 << (count - 1).bit_length()


def members(name: str, length: int) -> list[BindParameter[Any]]:
    """The parameters of a list of `length` members, `name_0` onwards."""
    return [bindparam(f"{name}_{index}") for index in range(length)]


def member_values(name: str, values: Sequence[Any], length: int) -> dict[str, Any]:
    """The values of `members(name, length)` for `values` (at most `length` of them)."""
    if len(values) > length:
        raise ValueError(f"{len(values)} members for a list of {length}")
    padding = values[-1] if values else None
    padded = [*values, *[padding] * (length - len(values))]
    return {f"{name}_{index}": value for index, value in enumerate(padded)}
