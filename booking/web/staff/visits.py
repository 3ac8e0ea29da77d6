"""One visit at the counter: its documents brought, and a return visit for a missing one."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.core.access import Actor
from booking.core.errors import BookingError
from booking.core.i18n import N_
from booking.use_cases.directory import Directory
from booking.use_cases.visit_views import VisitView
from booking.web.deps import ActorDep, DirectoryDep, VisitsDep
from booking.web.errors import request_language
from booking.web.pages.presenting import documents_to_bring
from booking.web.rendering import page
from booking.web.shared.forms import form_items
from booking.web.shared.labels import FILE_LABELS
from booking.web.staff.paths import COUNTER, Reference, SiteId

VISIT_PAGE = "/sites/{site_id:str}/visits/{reference:str}"


@get(VISIT_PAGE, sync_to_thread=True, opt=COUNTER)
def visit_page(
    request: Request,
    site_id: SiteId,
    reference: Reference,
    actor: ActorDep,
    visits: VisitsDep,
    directory: DirectoryDep,
) -> Template:
    """One visit at the counter: tick the documents brought; book a return visit."""
    view = visits.for_staff(reference, actor)
    return _visit_page(request, actor, view, directory)


def _visit_page(
    request: Request, actor: Actor, view: VisitView, directory: Directory, **context: object
) -> Template:
    return page(
        request,
        "staff/visit.html",
        actor=actor,
        view=view,
        procedure=directory.catalogue.get(view.appointment.procedure_id),
        documents=documents_to_bring(view.documents, request_language(request)),
        presented=set(view.appointment.presented or view.appointment.declared),
        file_labels=FILE_LABELS,
        **context,
    )


@post(f"{VISIT_PAGE}/pieces", sync_to_thread=True, status_code=200, opt=COUNTER)
def record_documents(
    request: Request,
    site_id: SiteId,
    reference: Reference,
    body: RawBody,
    actor: ActorDep,
    visits: VisitsDep,
    directory: DirectoryDep,
) -> Template:
    items = form_items(body)
    presented = [value for key, value in items if key == "doc"]
    view = visits.record_documents(reference, presented, actor=actor)
    return _visit_page(request, actor, view, directory, notice=N_("The documents are recorded."))


@post(f"{VISIT_PAGE}/retour", sync_to_thread=True, status_code=200, opt=COUNTER)
def book_return_visit(
    request: Request,
    site_id: SiteId,
    reference: Reference,
    body: RawBody,
    actor: ActorDep,
    visits: VisitsDep,
    directory: DirectoryDep,
) -> Template | Redirect:
    try:
        back = visits.return_visit(reference, actor=actor)
    except BookingError as exc:
        if exc.status_code in (401, 403):
            raise
        view = visits.for_staff(reference, actor)
        return _visit_page(request, actor, view, directory, notice=exc.detail)
    return Redirect(
        f"/staff/convocations/{back.appointment.reference}", status_code=HTTP_303_SEE_OTHER
    )


@post(f"{VISIT_PAGE}/lien", sync_to_thread=True, status_code=200, opt=COUNTER)
def send_link_again(
    request: Request,
    site_id: SiteId,
    reference: Reference,
    actor: ActorDep,
    visits: VisitsDep,
    directory: DirectoryDep,
) -> Template:
    """A new link and code to the citizen's contacts; the old ones end at the new one's use."""
    try:
        view = visits.send_link_again(reference, actor=actor)
    except BookingError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        view = visits.for_staff(reference, actor)
        return _visit_page(request, actor, view, directory, notice=exc.detail)
    notice = N_("A new link and code are on their way to the citizen.")
    return _visit_page(request, actor, view, directory, notice=notice)


ROUTES = [visit_page, record_documents, book_return_visit, send_link_again]
