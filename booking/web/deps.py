"""What API handlers are given: the services, the shared slot lists, common parameters."""

from __future__ import annotations

from typing import Annotated

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, PathParameter, QueryParameter, SkipValidation

from booking.services import Services
from booking.web.slot_lists import SlotListCache


def provide_services(request: Request) -> Services:
    return request.app.state.services


def provide_slot_lists(request: Request) -> SlotListCache:
    return request.app.state.slot_lists


ServicesDep = NamedDependency[SkipValidation[Services]]
SlotLists = NamedDependency[SkipValidation[SlotListCache]]
TokenHeader = Annotated[str | None, HeaderParameter(name="X-Manage-Token", max_length=200)]
Reference = Annotated[str, PathParameter(max_length=40)]
OptionalQuery = Annotated[str | None, QueryParameter(max_length=64)]
