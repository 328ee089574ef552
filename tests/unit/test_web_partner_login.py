"""A school's page opened with the school's broker credentials (a fake broker verifier)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import structlog

from bureau.settings import Settings
from bureau.web import Wiring, create_app
from bureau.web import app as web_app
from bureau.web.access import Access, basic_pair
from bureau.web.partner_login import PartnerLogins
from bureau.web.queries import InMemoryReadModel, OutcomeView

PASSWORDS = {"roc-a": "scram-a", "roc-b": "scram-b", "bureau": "bureau-pw"}
SECRET_MARK = "scram-a"


class FakeBroker:
    """Accepts the pairs in PASSWORDS; counts handshakes; can be down."""

    def __init__(self) -> None:
        self.handshakes = 0
        self.down = False

    async def __call__(self, user: str, password: str) -> bool:
        self.handshakes += 1
        if self.down:
            raise ConnectionError("no broker answered")
        return PASSWORDS.get(user) == password


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(broker: FakeBroker, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    outcome = OutcomeView(
        student_id="st-1",
        offer_id="o-1",
        company_id="acme",
        status="confirmed",
        submitted_at="2026-09-01",
        decided_at="2026-09-05",
    )
    read = InMemoryReadModel(applications={"roc-a": [outcome]})
    logins = PartnerLogins(verify=broker, ttl_seconds=60, not_schools=("bureau",), clock=clock)
    access = Access(admin="admin-token", schools={"roc-a": "roc-token"})
    app = create_app(Wiring(read=read, access=access, partner_logins=logins))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as c:
        yield c


@pytest.mark.parametrize(
    ("auth", "status"),
    [
        (("roc-a", "scram-a"), 200),
        (("roc-a", "wrong"), 401),
        (("roc-b", "scram-b"), 403),
        (("roc-b", "scram-a"), 401),
        (("bureau", "bureau-pw"), 401),
        (("anyone", "roc-token"), 200),
        (("anyone", "admin-token"), 200),
    ],
    ids=["own", "wrong-password", "other-school", "pair-mixed", "bureau-itself", "token", "admin"],
)
async def test_a_school_signs_in_with_its_broker_credentials(
    client: httpx.AsyncClient, auth: tuple[str, str], status: int
) -> None:
    response = await client.get("/schools/roc-a", auth=auth)
    assert response.status_code == status
    assert ("st-1" in response.text) == (status == 200)
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_the_broker_is_asked_again_only_after_the_cache_expires(
    client: httpx.AsyncClient, broker: FakeBroker, clock: Clock
) -> None:
    for _ in range(3):
        assert (await client.get("/schools/roc-a", auth=("roc-a", "scram-a"))).status_code == 200
    assert broker.handshakes == 1
    # Failures are not cached: every wrong password is put to the broker.
    for _ in range(2):
        assert (await client.get("/schools/roc-a", auth=("roc-a", "nope"))).status_code == 401
    assert broker.handshakes == 3
    clock.now += 61
    assert (await client.get("/schools/roc-a", auth=("roc-a", "scram-a"))).status_code == 200
    assert broker.handshakes == 4


async def test_a_cached_success_does_not_open_another_schools_page(
    client: httpx.AsyncClient, broker: FakeBroker
) -> None:
    assert (await client.get("/schools/roc-b", auth=("roc-b", "scram-b"))).status_code == 200
    assert (await client.get("/schools/roc-a", auth=("roc-b", "scram-b"))).status_code == 403


async def test_a_broker_that_cannot_answer_is_503_not_a_login(
    client: httpx.AsyncClient, broker: FakeBroker
) -> None:
    broker.down = True
    assert (await client.get("/schools/roc-a", auth=("roc-a", "scram-a"))).status_code == 503
    # The token fallback needs no broker.
    assert (await client.get("/schools/roc-a", auth=("x", "roc-token"))).status_code == 200


async def test_no_password_reaches_the_logs(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        # A logger cached by an earlier configure_logging (other tests) would bypass the
        # capture: the pages log through a fresh one.
        monkeypatch.setattr(web_app, "log", structlog.get_logger("bureau.web.app"))
        await client.get("/schools/roc-a", auth=("roc-a", SECRET_MARK))
        await client.get("/schools/roc-b", auth=("roc-a", SECRET_MARK))
        await client.get("/schools/roc-a", auth=("roc-a", SECRET_MARK + "x"))
    assert logs, "the request log is captured (control)"
    assert SECRET_MARK not in repr(logs)
    assert SECRET_MARK not in caplog.text


async def test_a_pair_without_a_user_name_is_never_put_to_the_broker(
    client: httpx.AsyncClient, broker: FakeBroker
) -> None:
    assert (await client.get("/schools/roc-a", auth=("", "scram-a"))).status_code == 401
    assert broker.handshakes == 0


def test_basic_pairs_need_a_password() -> None:
    assert basic_pair("Basic cm9jLWE6c2NyYW0tYQ==") == ("roc-a", "scram-a")
    assert basic_pair("Basic cm9jLWE6") is None  # "roc-a:": no password
    assert basic_pair("Bearer abc") is None
    assert basic_pair("Basic !!!") is None
    assert basic_pair(None) is None


def test_only_a_secured_broker_enables_it() -> None:
    assert PartnerLogins.from_settings(Settings(kafka_security_protocol="PLAINTEXT")) is None
