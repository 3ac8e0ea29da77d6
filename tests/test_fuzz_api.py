"""Property-based fuzzing of the whole API from its own OpenAPI (schemathesis): never a 500."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from booking.demo import load_demo
from booking.migrate import migrate
from booking.services import build_services
from booking.web.app import create_app
from tests.conftest import ROOT, make_settings

_folder = Path(tempfile.mkdtemp(prefix="guichet-fuzz-"))
_url = f"sqlite:///{_folder}/fuzz.db"
migrate(_url)
_services = build_services(make_settings(_url))
with _services.uow.writing() as _session:
    load_demo(_session, ROOT / "config" / "demo.toml", _services.catalogue)

schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(_services))


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail_on_its_side(case):
    response = case.call()
    assert response.status_code < 500, response.text
