"""Pages read as drawn (issue 12): org-chart text at a readable size with titles in full
somewhere, value-by-needs names inside their own columns, legends that say what they
count, money with its currency, and tables whose last column is not cut off."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import sign_in
from tests.factories import BuyingRoleFactory, World, make_contact
from tests.needs.portfolio import make_portfolio

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TITLE = "Head of Strategic Procurement and Supplier Development, Central Europe"

# Python's None shown as a value: alone, after a label, or between separators.
SHOWS_NONE = re.compile(r"(^|[:·|(]\s*)None\s*($|[·|),;])", re.MULTILINE)

# Every table on the page that is cut at its right edge, as "heading: pixels".
CUT_TABLES = """() => [...document.querySelectorAll('.table-responsive')]
  .filter((box) => box.scrollWidth - box.clientWidth > 1)
  .map((box) => {
    const card = box.closest('section, .card');
    const heading = card && card.querySelector('h1, h2, h3');
    return `${heading ? heading.textContent.trim() : '?'}: ${box.scrollWidth - box.clientWidth}`;
  })"""


def test_org_chart_text_is_readable_and_titles_are_there_in_full(page, live_server):
    # Given a buying centre wider than the card: a CFO with eight reports, one with a long title
    world = World()
    for n in range(8):
        person = make_contact(
            world.admin,
            world.acme,
            first_name=f"Person{n}",
            last_name="Example",
            title=LONG_TITLE if n == 0 else "Engineer",
            reports_to=world.acme_cfo,
        )
        BuyingRoleFactory(actor=world.admin, contact=person, role="influencer", influence=2)
    sign_in(page, live_server, world.admin.email)

    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        page.goto(f"{live_server.url}/accounts/{world.acme.pk}/")
        page.wait_for_selector("[data-org-chart] canvas")
        # When the chart is first drawn, the smallest text on it is still at least 11 px
        label = page.evaluate(
            """() => {
                const host = document.querySelector('[data-org-chart]');
                const series = window.Rapport.chartOf(host).getOption().series[0];
                const sizes = Object.values(series.label.rich).map((style) => style.fontSize);
                return {show: series.label.show, smallest: Math.min(...sizes)};
            }"""
        )
        assert label["show"] is True, width
        assert label["smallest"] >= 11, width
        # and the long title is there in full, in the list beside the chart
        details = page.locator(".org-chart-list")
        details.locator("summary").click()
        assert LONG_TITLE in details.inner_text()
        assert details.get_by_role("link", name="Person0 Example").is_visible()


def test_value_by_needs_names_keep_to_their_columns_and_the_legend_counts(page, live_server):
    world = World()
    make_portfolio(world, extra=10)
    sign_in(page, live_server, world.manager.email)
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        page.goto(f"{live_server.url}/differentiate/")
        page.locator('[data-chart="chart-needs-scatter"] canvas').wait_for()
        drawn = page.evaluate(
            """() => {
                const chartAt = (name) => window.Rapport.chartOf(
                    document.querySelector(`[data-chart="chart-${name}"]`));
                const scatter = chartAt('needs-scatter');
                const axis = scatter.getModel().getComponent('xAxis', 0).axis;
                const extent = axis.getExtent();
                const columns = axis.scale.getOrdinalMeta().categories.length;
                const option = scatter.getOption();
                const money = chartAt('categories').getOption().xAxis[0].axisLabel.formatter;
                return {
                    column: Math.abs(extent[1] - extent[0]) / columns,
                    labelWidth: option.xAxis[0].axisLabel.width,
                    overflow: option.xAxis[0].axisLabel.overflow,
                    legend: chartAt('needs-matrix').getOption().visualMap[0].text,
                    money: typeof money === 'function' ? money(2500000) : String(money),
                    valueAxis: (() => {
                        const f = option.yAxis[0].axisLabel.formatter;
                        return typeof f === 'function' ? f(1200000) : String(f);
                    })(),
                };
            }"""
        )
        # Each segment's name wraps inside its own column, not across its neighbours'
        assert drawn["overflow"] == "break", width
        assert 0 < drawn["labelWidth"] < drawn["column"], (width, drawn)
        # The heat map's legend says what its colours count
        assert drawn["legend"][1] == "0 accounts"
        assert drawn["legend"][0].endswith(" accounts"), drawn["legend"]
        # Amounts on the axes carry the currency
        assert drawn["money"] == "€2.5M"
        assert drawn["valueAxis"] == "€1.2M"


def test_the_capture_table_shows_its_last_column(page, live_server):
    world = World()
    sign_in(page, live_server, world.admin.email)
    for width in (1024, 1280, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        page.goto(f"{live_server.url}/scorecards/capture/")
        assert page.locator("th", has_text="Commitments kept").is_visible()
        assert page.evaluate(CUT_TABLES) == [], width


def test_lists_and_records_fit_and_never_say_none(page, live_server):
    world = World()
    sign_in(page, live_server, world.admin.email)
    pages = [
        "/accounts/",
        "/contacts/",
        "/end-users/",
        "/duplicates/",
        "/memory/reasks/",
        f"/accounts/{world.acme.pk}/",
        f"/accounts/{world.acme.pk}/history/",
        f"/contacts/{world.acme_cfo.pk}/history/",
        f"/accounts/{world.acme.pk}/orders/",
        f"/contacts/{world.acme_cfo.pk}/",
    ]
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        for path in pages:
            page.goto(f"{live_server.url}{path}")
            assert page.evaluate(CUT_TABLES) == [], (width, path)
            wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wider <= 0, (width, path)
            # sparse records (no phone, no city, no manager) never show "None"
            assert not SHOWS_NONE.search(page.inner_text("body")), (width, path)
