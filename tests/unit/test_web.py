"""The dashboard's pages, access rules and open-data feed, on the in-memory read model."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import socket
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import replace
from typing import Any

import httpx
import pytest
import structlog

from bureau.domain.matching import Suggestion
from bureau.domain.statistics import Row
from bureau.settings import Settings
from bureau.topics import Topics
from bureau.web import Wiring, create_app, serve_async
from bureau.web import app as web_app
from bureau.web.access import Access, credential
from bureau.web.cache import CachedReadModel
from bureau.web.charts import Bar, Segment, bar_chart
from bureau.web.feed import as_csv, as_json, public, publish_statistics, refresh_forever
from bureau.web.queries import (
    OFFERS_PAGE,
    DeadLetterGroup,
    InMemoryReadModel,
    OfferFilter,
    OfferView,
    OutcomeView,
)

ROWS = [
    Row(dimension="theme", value="cloud", places_offered=8, places_filled=3, placement_rate=0.375),
    Row(
        dimension="school",
        value="roc-a",
        students=12,
        students_placed=6,
        placement_rate=0.5,
        median_days_to_placement=4.5,
        continued_mbo_to_hbo=2,
        female_share_of_placed=None,
    ),
    Row(
        dimension="school",
        value="tiny",
        students=3,
        students_placed=1,
        placement_rate=0.3333,
        median_days_to_placement=2.0,
        continued_mbo_to_hbo=0,
    ),
    Row(
        dimension="level",
        value="mbo-4",
        places_offered=10,
        places_filled=4,
        students=40,
        students_placed=20,
        placement_rate=0.5,
        median_days_to_placement=6.0,
        continued_mbo_to_hbo=0,
        female_share_of_placed=0.45,
    ),
]
ACCESS = Access(admin="admin-token", schools={"roc-a": "roc-token", "roc-b": "other-token"})


def _offer(offer_id: str) -> OfferView:
    return OfferView(
        offer_id=offer_id,
        title=f"Title {offer_id}",
        company_id="acme",
        region="1012",
        levels=("hbo",),
        themes=("cloud",),
        places_open=2,
        places_filled=1,
        withdrawn=False,
    )


class Redrives:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, topic: str) -> int:
        self.calls.append(topic)
        return 7


@pytest.fixture
def read() -> InMemoryReadModel:
    return InMemoryReadModel(
        rows=list(ROWS),
        offer_views=[_offer("o-1")],
        applications={
            "roc-a": [
                OutcomeView(
                    student_id="st-1",
                    offer_id="o-1",
                    company_id="acme",
                    status="confirmed",
                    submitted_at="2026-09-01",
                    decided_at="2026-09-05",
                ),
            ]
        },
        dead_letter_groups=[
            DeadLetterGroup(
                topic="bureau.offers.v1", count=2, reasons=(("not JSON", 2),), last_at=None
            )
        ],
    )


@pytest.fixture
def redrives() -> Redrives:
    return Redrives()


@pytest.fixture
async def client(read: InMemoryReadModel, redrives: Redrives) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        Wiring(
            read=read,
            access=ACCESS,
            redrive=redrives,
            dlq_topics=["bureau.offers.v1.dlq"],
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as c:
        yield c


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- suppression and the open feed ---------------------------------------------------


def test_figures_of_groups_under_ten_students_are_suppressed() -> None:
    rows = {r.key: r for r in public(ROWS)}
    tiny = rows["school:tiny"]
    assert tiny.row.placement_rate is None
    assert tiny.row.students == 3
    assert tiny.is_suppressed("placement_rate")
    assert tiny.is_suppressed("students_placed")
    assert rows["school:roc-a"].suppressed == ("female_share_of_placed",)
    assert rows["level:mbo-4"].suppressed == ()
    assert rows["theme:cloud"].suppressed == ()


def test_a_small_levels_places_are_published_and_its_student_figures_withheld() -> None:
    row = Row(
        dimension="level",
        value="wo",
        places_offered=5,
        places_filled=1,
        students=2,
        students_placed=1,
        placement_rate=0.5,
    )
    [small] = public([row])
    # Places are facts about offers, not students: published like a theme's.
    assert (small.row.places_offered, small.row.places_filled) == (5, 1)
    assert not small.is_suppressed("places_offered")
    assert small.row.students_placed is None
    assert small.is_suppressed("placement_rate")


def test_the_csv_says_suppressed_where_a_figure_is_withheld_and_nothing_where_none_applies() -> (
    None
):
    table = list(csv.DictReader(io.StringIO(as_csv(public(ROWS)))))
    tiny = next(r for r in table if r["value"] == "tiny")
    assert tiny["placement_rate"] == "suppressed"
    assert tiny["students"] == "3"
    cloud = next(r for r in table if r["value"] == "cloud")
    assert cloud["students"] == ""
    assert cloud["places_filled"] == "3"


def test_the_json_feed_names_its_schema_and_the_suppressed_figures() -> None:
    doc = json.loads(as_json(public(ROWS)))
    assert doc["schema"] == "bureau.statistics/1"
    assert doc["min_group"] == 10
    tiny = next(r for r in doc["rows"] if r["value"] == "tiny")
    assert tiny["placement_rate"] is None
    assert "placement_rate" in tiny["suppressed"]


async def test_statistics_are_published_per_group_and_retired_groups_tombstoned() -> None:
    sent: list[tuple[str, bytes, bytes | None]] = []

    async def publish(topic: str, key: bytes, value: bytes | None) -> None:
        sent.append((topic, key, value))

    count = await publish_statistics(
        publish, Topics(prefix="t."), ROWS, retired=["school:gone", "school:tiny"]
    )
    assert count == len(ROWS) + 1
    assert {t for t, _, _ in sent} == {"t.bureau.statistics.v1"}
    by_key = {k.decode(): v for _, k, v in sent}
    assert by_key["school:gone"] is None
    tiny = json.loads(by_key["school:tiny"] or b"")
    assert tiny["placement_rate"] is None
    assert "placement_rate" in tiny["suppressed"]


async def test_the_refresher_tombstones_groups_that_vanished_since_the_last_refresh() -> None:
    sent: list[tuple[bytes, bytes | None]] = []
    answers = [ROWS, ROWS[:1]]

    async def refresh() -> list[Row]:
        if not answers:
            raise asyncio.CancelledError
        return answers.pop(0)

    async def publish(topic: str, key: bytes, value: bytes | None) -> None:
        sent.append((key, value))

    with pytest.raises(asyncio.CancelledError):
        await refresh_forever(refresh, publish, Topics(), every=0)
    second = sent[len(ROWS) :]
    assert second[0][0] == b"theme:cloud"
    assert {k for k, v in second if v is None} == {b"school:roc-a", b"school:tiny", b"level:mbo-4"}


# --- pages ---------------------------------------------------------------------------


async def test_the_overview_shows_each_figure_and_suppressed_cells(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/")).text
    assert '<tr data-key="school:tiny">' in page
    assert 'data-figure="placement_rate" data-value="suppressed" class="suppressed">suppressed' in (
        page
    )
    assert 'data-figure="placement_rate" data-value="0.5">50.0 %' in page
    assert 'data-figure="female_share_of_placed" data-value="0.45">45.0 %' in page
    assert page.count("<svg") == 8
    # Places per level: open and filled beside the level's student figures.
    level = page.split('id="places-per-level"')[1].split("</section>")[0]
    assert '<tr data-key="level:mbo-4">' in level
    assert 'data-figure="places_offered" data-value="10">10' in level
    assert 'data-figure="places_filled" data-value="4">4' in level
    assert 'data-figure="places_open" data-value="6">6' in level


async def test_open_data_is_served_as_json_and_csv(client: httpx.AsyncClient) -> None:
    j = await client.get("/open-data/statistics.json")
    assert j.headers["content-type"] == "application/json"
    assert j.content == as_json(public(ROWS))
    c = await client.get("/open-data/statistics.csv")
    assert c.headers["content-type"].startswith("text/csv")
    assert c.text == as_csv(public(ROWS))


async def test_a_new_offer_is_listed(client: httpx.AsyncClient, read: InMemoryReadModel) -> None:
    assert 'data-offer="o-2"' not in (await client.get("/offers")).text
    read.offer_views.append(_offer("o-2"))
    assert 'data-offer="o-2"' in (await client.get("/offers")).text


async def test_offers_are_listed_a_page_at_a_time_and_by_company(
    client: httpx.AsyncClient, read: InMemoryReadModel
) -> None:
    read.offer_views = [_offer(f"o-{n:03d}") for n in range(OFFERS_PAGE + 7)]
    read.offer_views.append(replace(_offer("o-other"), company_id="other"))
    first = (await client.get("/offers")).text
    assert first.count("data-offer=") == OFFERS_PAGE
    assert 'href="?page=2"' in first
    last = (await client.get("/offers?page=2")).text
    assert last.count("data-offer=") == 8
    assert 'href="?page=3"' not in last
    assert 'href="?page=1"' not in last  # the first page's link carries no page number
    read.offer_views[0] = replace(read.offer_views[0], withdrawn=True)
    assert 'data-offer="o-000"' not in (await client.get("/offers")).text
    other = (await client.get("/offers?company=other")).text
    assert other.count("data-offer=") == 1
    assert 'data-offer="o-other"' in other


async def test_a_schools_page_shows_its_figures_and_its_applications_by_status(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/schools/roc-a", headers=_bearer("roc-token"))).text
    assert '<span data-figure="students">12</span>' in page
    assert '<span data-figure="placed">6</span>' in page
    assert "<td>st-1</td>" in page
    assert 'data-figure="median_days_to_placement">4.5' in page
    confirmed = await client.get("/schools/roc-a?status=confirmed", headers=_bearer("roc-token"))
    assert "<td>st-1</td>" in confirmed.text
    declined = await client.get("/schools/roc-a?status=declined", headers=_bearer("roc-token"))
    assert "<td>st-1</td>" not in declined.text


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/offers?page=0", "page"),
        ("/offers?page=many", "page"),
        ("/offers?company=Not%20An%20Id", "company"),
        ("/schools/roc-a?status=lost", "status"),
    ],
)
async def test_a_bad_query_parameter_gets_a_400_page_naming_the_field(
    client: httpx.AsyncClient, path: str, field: str
) -> None:
    bad = await client.get(path, headers=_bearer("roc-token"))
    assert bad.status_code == 400
    assert f"{field}:" in bad.text
    assert "Not An Id" not in bad.text


async def test_an_offers_page_without_its_shortlist_says_so(read: InMemoryReadModel) -> None:
    """The tables are still being restored (slow) or the broker is down (fails)."""

    async def slow(offer_id: str) -> list[Suggestion]:
        await asyncio.Event().wait()
        return []

    async def failing(offer_id: str) -> list[Suggestion]:
        raise ConnectionError(offer_id)

    for shortlist, expected in ((slow, "is being prepared"), (failing, "ConnectionError")):
        wiring = Wiring(read=read, access=ACCESS, shortlist=shortlist)
        app = create_app(replace(wiring, shortlist_timeout_seconds=0.01))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://d") as c:
            page = await c.get("/offers/o-1", headers=_bearer("admin-token"))
        assert page.status_code == 200
        assert expected in page.text
        assert "Title o-1" in page.text


async def test_a_bad_identifier_gets_a_400_page_and_an_unknown_one_a_404(
    client: httpx.AsyncClient,
) -> None:
    bad = await client.get("/rounds/NOT%20AN%20ID")
    assert bad.status_code == 400
    assert "round_id" in bad.text
    assert "NOT AN ID" not in bad.text
    missing = await client.get("/rounds/r-9")
    assert missing.status_code == 404
    assert "No round with this id." in missing.text


# --- access --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        (_bearer("wrong"), 401),
        (_bearer("other-token"), 403),
        (_bearer("roc-token"), 200),
        (_bearer("admin-token"), 200),
    ],
    ids=["none", "unknown", "other-school", "own-school", "admin"],
)
async def test_a_schools_page_needs_that_schools_credential(
    client: httpx.AsyncClient, headers: dict[str, str], status: int
) -> None:
    response = await client.get("/schools/roc-a", headers=headers)
    assert response.status_code == status
    assert ("st-1" in response.text) == (status == 200)


async def test_the_operator_page_needs_the_admin_credential(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/operator")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    assert (await client.get("/operator", headers=_bearer("roc-token"))).status_code == 403
    page = await client.get("/operator", auth=("anyone", "admin-token"))
    assert page.status_code == 200
    assert "2 \u00d7 not JSON" in page.text


async def test_without_an_admin_credential_the_operator_pages_are_closed(
    read: InMemoryReadModel,
) -> None:
    app = create_app(Wiring(read=read, access=Access()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d") as c:
        assert (await c.get("/operator")).status_code == 403
        assert (await c.get("/operator", headers=_bearer("x"))).status_code == 403


def test_credentials_come_as_bearer_or_basic_password() -> None:
    assert credential("Bearer abc") == "abc"
    assert credential("Basic " + "dTpwdw==") == "pw"  # u:pw
    assert credential("Basic !!!") is None
    assert credential("Digest x") is None
    assert credential(None) is None


async def test_the_redrive_button_calls_redrive_for_a_known_dead_letter_topic(
    client: httpx.AsyncClient, redrives: Redrives
) -> None:
    data = {"topic": "bureau.offers.v1.dlq"}
    assert (await client.post("/operator/redrive", data=data)).status_code == 401
    done = await client.post("/operator/redrive", data=data, headers=_bearer("admin-token"))
    assert done.status_code == 303
    assert redrives.calls == ["bureau.offers.v1.dlq"]
    assert "7" in (await client.get(done.headers["location"], headers=_bearer("admin-token"))).text
    elsewhere = {**_bearer("admin-token"), "Sec-Fetch-Site": "cross-site"}
    assert (await client.post("/operator/redrive", data=data, headers=elsewhere)).status_code == 403
    odd = await client.post(
        "/operator/redrive", data={"topic": "elsewhere"}, headers=_bearer("admin-token")
    )
    assert odd.status_code == 400
    assert redrives.calls == ["bureau.offers.v1.dlq"]


async def test_requests_are_logged_by_route_pattern_never_by_path(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with structlog.testing.capture_logs() as logs:
        # A logger cached by an earlier configure_logging (other tests) would bypass the
        # capture: the page logs through a fresh one.
        monkeypatch.setattr(web_app, "log", structlog.get_logger("bureau.web.app"))
        await client.get("/schools/roc-a", headers=_bearer("roc-token"))
    entries: list[MutableMapping[str, Any]] = [e for e in logs if e["event"] == "web_request"]
    # Other pages served in this process meanwhile (an operator page the fault suite's
    # session polls) log through the same logger: look at the school pages only.
    schools = [e["route"] for e in entries if e["route"].startswith("/schools")]
    assert schools == ["/schools/{school_id}"]
    assert "roc-a" not in json.dumps(entries)
    assert "roc-token" not in json.dumps(entries)


def test_chart_labels_are_escaped() -> None:
    svg = bar_chart("t", [Bar("<script>", (Segment(1, "rate"),), "1")])
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


async def test_the_cache_shares_answers_for_ttl_seconds(read: InMemoryReadModel) -> None:
    now = [0.0]
    cached = CachedReadModel(read, ttl=2.0, clock=lambda: now[0])
    first = await cached.offers(OfferFilter())
    read.offer_views.append(_offer("o-2"))
    assert await cached.offers(OfferFilter()) == first
    now[0] = 2.5
    assert [o.offer_id for o in (await cached.offers(OfferFilter())).items] == ["o-1", "o-2"]


async def test_a_taken_port_is_reported_not_served_and_ready_is_never_set() -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    ready = asyncio.Event()
    settings = Settings(web_host="127.0.0.1", web_port=port, kafka_bootstrap="127.0.0.1:1")
    with taken:
        assert await serve_async(settings, ready=ready) is False
    assert not ready.is_set()
