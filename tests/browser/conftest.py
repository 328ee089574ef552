"""The dashboard in headless Chromium, over projections on a real MongoDB-wire server."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace

import pytest
import uvicorn
from pydantic import SecretStr
from pymongo import AsyncMongoClient
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from bureau.adapters.mongo import MongoStore
from bureau.settings import Settings
from bureau.web import create_app
from bureau.web.lag import GroupLag, PartitionLag
from bureau.web.wiring import wiring_from_settings
from tests.support import region
from tests.support.exchange_loop import ExchangeLoop
from tests.support.infra import Endpoint, mongo_endpoint

ADMIN = "admin-" + uuid.uuid4().hex
SCHOOLS = {s.school_id: f"{s.school_id}-{uuid.uuid4().hex}" for s in region.SMALL}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def mongo() -> Iterator[Endpoint]:
    with mongo_endpoint() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
async def settings(mongo: Endpoint) -> AsyncIterator[Settings]:
    db = f"web_{uuid.uuid4().hex[:10]}"
    yield Settings(
        mongo_url=mongo.address,
        mongo_db=db,
        # No broker in these tests: the operator page gets a fixed lag source instead.
        kafka_bootstrap="127.0.0.1:1",
        web_host="127.0.0.1",
        web_port=0,
        web_admin_token=SecretStr(ADMIN),
        web_school_tokens={k: SecretStr(v) for k, v in SCHOOLS.items()},
    )
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo.address)
    await client.drop_database(db)
    await client.close()


@pytest.fixture(scope="session")
async def region_loop(settings: Settings) -> AsyncIterator[ExchangeLoop]:
    """The small region, projected by the service into the real store."""
    store = MongoStore(settings.mongo_url, settings.mongo_db)
    await store.ensure_indexes()
    loop = ExchangeLoop(store)
    await region.play(loop)
    await loop.exchange.queries.refresh_statistics()
    # Dead letters as the worker records them (``dead_letters``: origin, topic, reason, at).
    await store["dead_letters"].insert_many(
        [
            {
                "_id": f"bureau.offers.v1/0/{n}",
                "topic": "bureau.offers.v1",
                "reason": reason,
                "at": f"2026-09-0{n + 1}T10:00:00+00:00",
            }
            for n, reason in enumerate(
                ["invalid event: data.capacity", "not JSON", "invalid event: data.capacity"]
            )
        ]
    )
    yield loop
    await store.close()


LAG = [
    GroupLag(
        group="bureau-offer-book",
        partitions=(
            PartitionLag(
                group="bureau-offer-book",
                topic="bureau.offers.v1",
                partition=0,
                committed=40,
                end=42,
            ),
        ),
    )
]


async def _fixed_lag() -> list[GroupLag]:
    return LAG


@dataclass
class Dashboard:
    """The dashboard served on a free port by a thread of its own."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread


@pytest.fixture(scope="session")
def dashboard(settings: Settings, region_loop: ExchangeLoop) -> Iterator[Dashboard]:
    started = threading.Event()
    holder: dict[str, uvicorn.Server] = {}

    async def serve() -> None:
        async with wiring_from_settings(settings) as wiring:
            app = create_app(replace(wiring, lag=_fixed_lag, refresh_seconds=0.5))
            config = uvicorn.Config(
                app, host="127.0.0.1", port=0, access_log=False, log_level="warning"
            )
            server = holder["server"] = uvicorn.Server(config)
            task = asyncio.create_task(server.serve())
            while not server.started and not task.done():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            started.set()
            await task

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert started.wait(60), "the dashboard did not start"
    server = holder["server"]
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Dashboard(f"http://127.0.0.1:{port}", server, thread)
    server.should_exit = True
    thread.join(30)


@pytest.fixture(scope="session")
def browser() -> Iterator[webdriver.Chrome]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        message = "chromium and chromedriver are missing: run infra/browser/provision.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=390,844",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(arg)
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    chrome.set_page_load_timeout(60)
    try:
        yield chrome
    finally:
        chrome.quit()
