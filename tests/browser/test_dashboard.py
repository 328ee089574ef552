"""The dashboard as a person sees it: numbers, live updates, access and a phone's width."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bureau.web.feed import public
from tests.browser.conftest import ADMIN, SCHOOLS, Dashboard
from tests.support import events
from tests.support.exchange_loop import ExchangeLoop

SHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
PHONE = 390


def _as(browser: webdriver.Chrome, token: str | None) -> None:
    """Send ``token`` as a bearer credential with every request of the browser."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": headers})


def _open(browser: webdriver.Chrome, url: str) -> None:
    browser.get(url)
    WebDriverWait(browser, 30).until(
        lambda b: b.execute_script("return document.readyState") == "complete"
    )


async def test_the_overview_shows_the_projected_statistics(
    dashboard: Dashboard, browser: webdriver.Chrome, region_loop: ExchangeLoop
) -> None:
    # The statistics view, as the service refreshes it; the page must show exactly that.
    expected = {r.key: r for r in public(await region_loop.exchange.queries.refresh_statistics())}
    _as(browser, None)
    _open(browser, dashboard.url + "/")
    shown: dict[tuple[str, str], str] = {}
    for row in browser.find_elements(By.CSS_SELECTOR, "tr[data-key]"):
        key = row.get_attribute("data-key") or ""
        for cell in row.find_elements(By.CSS_SELECTOR, "td[data-figure]"):
            shown[(key, cell.get_attribute("data-figure") or "")] = cell.text
            value = cell.get_attribute("data-value") or ""
            figure = cell.get_attribute("data-figure") or ""
            if figure == "places_open":
                r = expected[key].row
                assert value == str((r.places_offered or 0) - (r.places_filled or 0))
                continue
            if expected[key].is_suppressed(figure):
                assert (value, cell.text) == ("suppressed", "suppressed")
                continue
            raw = getattr(expected[key].row, figure)
            assert value == ("" if raw is None else str(raw)), (key, figure)
    # Every group of the projections is on the page, and the small ones are suppressed.
    assert {k for k, _ in shown} == set(expected)
    assert shown[("school:uva", "placement_rate")] == "suppressed"
    assert shown[("school:roc-amsterdam", "placement_rate")] == "71.4 %"
    assert shown[("level:mbo-4", "female_share_of_placed")] == "40.0 %"
    assert shown[("level:hbo", "female_share_of_placed")] == "suppressed"
    assert shown[("school:hva", "continued_mbo_to_hbo")] == "1"
    # Places per level are charted too (each cell checked against the projections above).
    assert {k for k, f in shown if f == "places_open"} >= {
        k for k in expected if k.startswith("level:")
    }


async def test_a_new_offer_appears_without_a_reload(
    dashboard: Dashboard, browser: webdriver.Chrome, region_loop: ExchangeLoop
) -> None:
    _as(browser, None)
    _open(browser, dashboard.url + "/offers")
    browser.execute_script("window.sameDocument = true;")
    assert not browser.find_elements(By.CSS_SELECTOR, 'tr[data-offer="offer-live"]')
    browser.find_element(By.CSS_SELECTOR, "details.filters summary").click()
    await region_loop.send(
        region_loop.topics.offers, [events.offer("offer-live", company_id="company-live")]
    )
    WebDriverWait(browser, 30).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, 'tr[data-offer="offer-live"]')
    )
    assert browser.execute_script("return window.sameDocument === true;")
    # What the reader opened stays open through the update.
    filters = browser.find_element(By.CSS_SELECTOR, "details.filters")
    assert filters.get_attribute("open") is not None


def test_a_school_sees_its_own_page_and_not_another_schools(
    dashboard: Dashboard, browser: webdriver.Chrome
) -> None:
    _as(browser, SCHOOLS["hva"])
    _open(browser, dashboard.url + "/schools/roc-amsterdam")
    error = browser.find_element(By.CSS_SELECTOR, "p.error")
    assert error.get_attribute("data-status") == "403"
    assert "st-roc-" not in browser.page_source
    _open(browser, dashboard.url + "/schools/hva")
    assert browser.find_element(By.CSS_SELECTOR, '[data-figure="students"]').text == "12"
    assert "st-hva-00000" in browser.page_source
    assert "st-roc-" not in browser.page_source
    # The status codes themselves, as a script would see them.
    roc = httpx.get(
        dashboard.url + "/schools/roc-amsterdam",
        headers={"Authorization": f"Bearer {SCHOOLS['hva']}"},
    )
    assert roc.status_code == 403
    assert httpx.get(dashboard.url + "/schools/hva").status_code == 401
    assert httpx.get(dashboard.url + "/operator", auth=("any", SCHOOLS["hva"])).status_code == 403
    assert httpx.get(dashboard.url + "/operator", auth=("any", ADMIN)).status_code == 200


def test_the_operator_sees_lag_and_dead_letters_by_reason(
    dashboard: Dashboard, browser: webdriver.Chrome
) -> None:
    _as(browser, ADMIN)
    _open(browser, dashboard.url + "/operator")
    lag = browser.find_element(
        By.CSS_SELECTOR, 'tr[data-group="bureau-offer-book"] [data-figure="lag"]'
    )
    assert lag.text == "2"
    dead = browser.find_element(By.CSS_SELECTOR, 'tr[data-dlq="bureau.offers.v1"]')
    assert dead.find_element(By.CSS_SELECTOR, '[data-figure="count"]').text == "3"
    assert "2 \u00d7 invalid event: data.capacity" in dead.text
    assert browser.find_elements(By.CSS_SELECTOR, "form.redrive button")


PAGES = {
    "overview": ("/", None),
    "offers": ("/offers", None),
    "shortlist": ("/offers/offer-00005", ADMIN),
    "rounds": ("/rounds", None),
    "round": ("/rounds/round-2027-1", None),
    "research": ("/research", None),
    "lectures": ("/lectures", None),
    "school": ("/schools/roc-amsterdam", SCHOOLS["roc-amsterdam"]),
    "operator": ("/operator", ADMIN),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_fits_a_phone_and_is_photographed(
    dashboard: Dashboard, browser: webdriver.Chrome, name: str, tmp_path: Path
) -> None:
    path, token = PAGES[name]
    _as(browser, token)
    browser.set_window_size(PHONE, 844)
    _open(browser, dashboard.url + path)
    assert browser.find_elements(By.CSS_SELECTOR, "p.error") == [], browser.page_source[:500]
    assert browser.execute_script("return window.innerWidth") == PHONE
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= PHONE, f"{path} overflows a {PHONE} px screen: {width} px"
    # Screenshots at a desktop width; into docs/ only when asked, so tests leave no diff.
    target = SHOTS if os.environ.get("BUREAU_WRITE_SCREENSHOTS") else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1024, 900)
    _open(browser, dashboard.url + path)
    shot = target / f"{name}.png"
    assert browser.save_screenshot(str(shot))
    assert 0 < shot.stat().st_size < 200_000
    browser.set_window_size(PHONE, 844)
