"""A school opens its dashboard page with the credentials ``partners add`` made for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bureau.web import Wiring, create_app
from bureau.web.access import Access
from bureau.web.partner_login import PartnerLogins
from bureau.web.queries import InMemoryReadModel, OutcomeView
from tests.security.conftest import World


def _password(world: World, org: str) -> str:
    return world.onboarded[org].password_file.read_text().strip()


@pytest.fixture
async def dashboard(secure: World) -> AsyncIterator[httpx.AsyncClient]:
    outcome = OutcomeView(
        student_id="st-1",
        offer_id="o-1",
        company_id="company-c",
        status="confirmed",
        submitted_at="2026-09-01",
        decided_at="2026-09-05",
    )
    logins = PartnerLogins.from_settings(secure.settings)
    assert logins is not None, "a secured broker enables broker sign-in"
    wiring = Wiring(
        read=InMemoryReadModel(applications={"school-a": [outcome]}),
        access=Access(),  # no tokens: only the broker can let anyone in
        partner_logins=logins,
    )
    transport = httpx.ASGITransport(app=create_app(wiring))
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as client:
        yield client


async def test_the_broker_checks_a_schools_dashboard_login(
    secure: World, dashboard: httpx.AsyncClient
) -> None:
    own = await dashboard.get("/schools/school-a", auth=("school-a", _password(secure, "school-a")))
    assert own.status_code == 200
    assert "st-1" in own.text

    wrong = await dashboard.get("/schools/school-a", auth=("school-a", "not-the-password"))
    assert wrong.status_code == 401
    assert "st-1" not in wrong.text

    other = await dashboard.get(
        "/schools/school-a", auth=("school-b", _password(secure, "school-b"))
    )
    assert other.status_code == 403
    assert "st-1" not in other.text

    # bureau's own principal is accepted by the broker, yet opens no school's page.
    bureau_pw = secure.settings.kafka_password_file
    assert bureau_pw is not None
    bureau = await dashboard.get(
        "/schools/school-a", auth=(secure.settings.kafka_username, bureau_pw.read_text().strip())
    )
    assert bureau.status_code == 401
