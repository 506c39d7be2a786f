"""The Differentiate page in a real browser: every chart draws, no console error, click to account."""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import sign_in
from tests.factories import World
from tests.needs.portfolio import make_portfolio

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("RAPPORT_SCREENSHOTS", "")
CHARTS = ["concentration", "migration", "categories", "whitespace", "needs-matrix", "needs-scatter"]


def test_the_differentiate_page_draws_every_picture(page, live_server):
    world = World()
    make_portfolio(world, extra=10)
    errors: list[str] = []
    # (The site has no favicon: the browser's own request for one is not the page's error.)
    page.on(
        "console",
        lambda m: (
            errors.append(f"{m.text} {m.location.get('url', '')}")
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    sign_in(page, live_server, world.manager.email)

    page.click("a.sidebar-link:has-text('Differentiate')")
    page.wait_for_url(f"{live_server.url}/differentiate/")

    for name in CHARTS:
        page.wait_for_selector(f'[data-chart="chart-{name}"] canvas', state="attached")
        box = page.locator(f'[data-chart="chart-{name}"] canvas').first.bounding_box()
        assert box is not None, name
        assert box["width"] > 200, name
        assert box["height"] > 200, name
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "differentiate.png"), full_page=True)
        page.emulate_media(media="print")
        page.screenshot(path=os.path.join(SHOTS, "differentiate-print.png"), full_page=True)
        page.emulate_media(media="screen")
    # 12 accounts worth 10000//(i+1): the top 20% (3 accounts) bring 18333 of 31032
    assert page.locator("[data-testid=top20]").inner_text() == "59%"
    assert (
        "Mission-critical uptime"
        in page.locator("#segments-title").locator("xpath=../..").inner_text()
    )
    # Printing hides the navigation
    page.emulate_media(media="print")
    assert not page.locator(".app-sidebar").is_visible()
    page.emulate_media(media="screen")
    # An account's needs page shows its segment
    page.goto(f"{live_server.url}/accounts/{world.acme.pk}/needs/")
    assert "Needs segment of Acme Industries" in page.locator("#needs").inner_text()
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "account-needs.png"), full_page=True)
    assert errors == []


def test_clicking_an_account_on_the_scatter_opens_it(page, live_server):
    world = World()
    make_portfolio(world, extra=0)
    sign_in(page, live_server, world.rep.email)
    page.goto(f"{live_server.url}/differentiate/")
    host = page.locator('[data-chart="chart-needs-scatter"]')
    host.locator("canvas").wait_for()
    # Let the points finish animating in: a click lands where a point is drawn now
    page.wait_for_timeout(1500)
    # Where ECharts drew Acme (the most valuable account), from the chart itself
    point = page.evaluate(
        """() => {
            const host = document.querySelector('[data-chart="chart-needs-scatter"]');
            const chart = window.Rapport ? window.Rapport.chartOf(host) : null;
            if (!chart) return null;
            const option = chart.getOption();
            for (let s = 0; s < option.series.length; s++) {
              const data = option.series[s].data;
              for (let i = 0; i < data.length; i++) {
                if (data[i].name.startsWith('Acme Industries')) {
                  const layout = chart.getModel().getSeriesByIndex(s).getData().getItemLayout(i);
                  return layout ? [layout[0], layout[1]] : null;
                }
              }
            }
            return null;
        }"""
    )
    if point is None:
        pytest.fail("could not find Acme's point on the scatter (window.Rapport.chartOf missing?)")
    host.scroll_into_view_if_needed()
    box = host.bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_url(f"{live_server.url}/accounts/{world.acme.pk}/")
