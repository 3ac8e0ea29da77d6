"""The storage helpers of the hot paths: fixed-length IN lists and rows built for an insert."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import column, select, table
from sqlalchemy.dialects import sqlite

from booking.domain.models import Appointment
from storage.in_lists import fixed_list, members
from storage.rows import new_row

NOON = datetime(2026, 3, 24, 11, tzinfo=UTC)


def test_a_list_is_padded_to_its_statements_length_with_its_last_member():
    lengths = [fixed_list("c", range(count))[0] for count in (0, 1, 2, 3, 5, 8, 9)]
    assert lengths == [1, 1, 2, 4, 8, 8, 16]
    assert fixed_list("c", [4, 7, 9]) == (4, {"c_0": 4, "c_1": 7, "c_2": 9, "c_3": 9})
    assert fixed_list("c", []) == (1, {"c_0": None})  # IN (NULL): matches nothing


def test_a_fixed_list_is_one_parameter_a_member():
    things = table("things", column("id"))
    query = select(things.c.id).where(things.c.id.in_(members("id", 3)))
    sql = str(query.compile(dialect=sqlite.dialect()))
    assert "IN (?, ?, ?)" in sql and "POSTCOMPILE" not in sql


def visit(**values) -> dict:
    return {
        "reference": "ABCD2345",
        "site_id": "paris",
        "counter_id": 1,
        "procedure_id": "residence-permit-pickup",
        "starts_at": NOON,
        "ends_at": NOON,
        "cell_minutes": 15,
        "created_at": NOON,
        "updated_at": NOON,
    } | values


def test_a_row_built_for_an_insert_has_the_constructors_values():
    built, constructed = new_row(Appointment, **visit()), Appointment(**visit())
    for name in Appointment.model_fields:
        assert getattr(built, name) == getattr(constructed, name), name
    assert built.status == "booked" and built.answers == {} and built.id is None
    assert new_row(Appointment, **visit()).declared is not built.declared  # a list each


def test_a_row_built_for_an_insert_refuses_unknown_and_missing_fields():
    with pytest.raises(TypeError, match="no field colour"):
        new_row(Appointment, **visit(colour="blue"))
    values = visit()
    del values["starts_at"]
    with pytest.raises(TypeError, match="needs starts_at"):
        new_row(Appointment, **values)
