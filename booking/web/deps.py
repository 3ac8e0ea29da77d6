"""What handlers are given by dependency injection: the use cases and common parameters."""

from __future__ import annotations

from typing import Annotated

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import HeaderParameter, PathParameter, QueryParameter, SkipValidation

from booking.services import Services
from booking.settings import Settings
from booking.use_cases.directory import Directory
from booking.use_cases.replies import Replies
from booking.use_cases.visits import Visits


def _services(request: Request) -> Services:
    return request.app.state.services


def provide_visits(request: Request) -> Visits:
    return _services(request).visits


def provide_directory(request: Request) -> Directory:
    return _services(request).directory


def provide_replies(request: Request) -> Replies:
    return _services(request).replies


def provide_settings(request: Request) -> Settings:
    return _services(request).settings


DEPENDENCIES = {
    "settings": Provide(provide_settings, sync_to_thread=False),
    "visits": Provide(provide_visits, sync_to_thread=False),
    "directory": Provide(provide_directory, sync_to_thread=False),
    "replies": Provide(provide_replies, sync_to_thread=False),
}

SettingsDep = NamedDependency[SkipValidation[Settings]]
VisitsDep = NamedDependency[SkipValidation[Visits]]
DirectoryDep = NamedDependency[SkipValidation[Directory]]
RepliesDep = NamedDependency[SkipValidation[Replies]]
TokenHeader = Annotated[str | None, HeaderParameter(name="X-Manage-Token", max_length=200)]
Reference = Annotated[str, PathParameter(max_length=40)]
OptionalQuery = Annotated[str | None, QueryParameter(max_length=64)]
