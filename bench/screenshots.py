"""Full-page screenshots of Rapport's pages, as a person would see them.

    python bench/screenshots.py --base http://127.0.0.1:8000 --out var/screenshots [--widths 1440 1024]

Signs in with the demo login, finds an account, contact, interaction, partner, thread,
segment and duplicate pair from the lists, and saves one PNG per page and width. Uses
Debian's Chromium through Playwright (CHROMIUM_PATH, `chromium` on PATH or
/usr/bin/chromium). Prints each page's status, title, console errors and failed requests,
and what a reader would trip over: a title without the product name, no favicon, "None"
in the text, a table cut off at its right edge, a page wider than the window.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

PAGES = [
    ("home", "/"),
    ("accounts", "/accounts/"),
    ("account", "/accounts/{account}/"),
    ("account-value", "/accounts/{account}/value/"),
    ("account-orders", "/accounts/{account}/orders/"),
    ("account-profile", "/accounts/{account}/profile/"),
    ("account-needs", "/accounts/{account}/needs/"),
    ("account-left-off", "/accounts/{account}/left-off/"),
    ("account-history", "/accounts/{account}/history/"),
    ("account-edit", "/accounts/{account}/edit/"),
    ("account-new", "/accounts/new/"),
    ("contacts", "/contacts/"),
    ("contact", "/contacts/{contact}/"),
    ("contact-profile", "/contacts/{contact}/profile/"),
    ("contact-preferences", "/contacts/{contact}/preferences/"),
    ("contact-needs", "/contacts/{contact}/needs/"),
    ("contact-history", "/contacts/{contact}/history/"),
    ("contact-edit", "/contacts/{contact}/edit/"),
    ("contact-new", "/contacts/new/"),
    ("end-users", "/end-users/"),
    ("partners", "/partners/"),
    ("partner", "/partners/{partner}/"),
    ("partner-edit", "/partners/{partner}/edit/"),
    ("partner-new", "/partners/new/"),
    ("timeline", "/interactions/"),
    ("interaction", "/interactions/{interaction}/"),
    ("interaction-history", "/interactions/{interaction}/history/"),
    ("interaction-edit", "/interactions/{interaction}/edit/"),
    ("log-interaction", "/interactions/new/?account={account}"),
    ("thread", "/threads/{thread}/"),
    ("commitments", "/commitments/mine/"),
    ("capture", "/scorecards/capture/"),
    ("gone-quiet", "/alerts/quiet/"),
    ("differentiate", "/differentiate/"),
    ("segment", "/differentiate/segments/{segment}/"),
    ("attributes", "/memory/attributes/"),
    ("contradictions", "/memory/contradictions/"),
    ("reasks", "/memory/reasks/"),
    ("duplicates", "/duplicates/"),
    ("duplicate-pair", "/duplicates/pairs/{pair}/"),
    ("merges", "/duplicates/merges/"),
    ("duplicate-settings", "/duplicates/settings/"),
    ("import", "/import/"),
    ("ingestion", "/interactions/import/"),
    ("ingestion-review", "/interactions/import/review/"),
    ("search", "/search/?q=a"),
    ("tokens", "/settings/tokens/"),
    ("lockouts", "/settings/lockouts/"),
    ("api-docs", "/api/v1/docs"),
    ("admin", "/admin/"),
]

# The README's pictures (docs/screenshots/<name>.png) and the page each one is, at the
# first width. The questionnaire, an import's dry run and a log form with what was
# learned need a link, a file or typing: their browser tests take them.
DOCS = {
    "home": "home",
    "account": "account",
    "contact": "contact",
    "timeline": "timeline",
    "log-interaction": "log-interaction",
    "profile": "contact-profile",
    "gone-quiet": "gone-quiet",
    "differentiate": "differentiate",
    "value": "account-value",
    "duplicates": "duplicates",
    "duplicate-pair": "duplicate-pair",
    "partner": "partner",
    "login": "login",
}

# What a reader trips over, found in the drawn page (a list of sentences).
LOOKS = """() => {
  const found = [];
  // (the admin names no icon: the browser asks /favicon.ico, which web answers)
  if (!document.querySelector('link[rel~="icon"]') && !location.pathname.startsWith('/admin/')) {
    found.push('no favicon');
  }
  // Python's None shown as a value: alone, after a label, or between separators
  if (/(^|[:·|(]\\s*)None\\s*($|[·|),;])/m.test(document.body.innerText)) {
    found.push('"None" in the text');
  }
  const wider = document.documentElement.scrollWidth - window.innerWidth;
  if (wider > 1) found.push(`page ${wider}px wider than the window`);
  for (const box of document.querySelectorAll('.table-responsive')) {
    const cut = box.scrollWidth - box.clientWidth;
    if (cut <= 1) continue;
    const card = box.closest('section, .card');
    const heading = card && card.querySelector('h1, h2, h3');
    found.push(`table cut by ${cut}px (${heading ? heading.textContent.trim() : 'no heading'})`);
  }
  return found;
}"""


def first_id(page: Page, base: str, path: str, pattern: str) -> str | None:
    """The id in the first link on `path` that matches `pattern`; None when there is none."""
    page.goto(base + path)
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
        match = re.fullmatch(pattern, href or "")
        if match:
            return match.group(1)
    print(f"no link matching {pattern} on {path}: its pages are skipped")
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="var/screenshots")
    parser.add_argument("--widths", type=int, nargs="+", default=[1440, 1024])
    parser.add_argument("--email", default="demo@rapport.example")
    parser.add_argument("--password", default="rapport-demo")
    parser.add_argument("--only", nargs="*", help="page names to take")
    parser.add_argument(
        "--id",
        nargs="*",
        default=[],
        metavar="KIND=ID",
        help="the record to show rather than the list's first, e.g. account=37 contact=147",
    )
    parser.add_argument("--docs", help="also copy the README's pictures into this folder")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chromium = (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
        or "/usr/bin/chromium"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": args.widths[0], "height": 900})
        page = context.new_page()
        page.goto(args.base + "/login/")
        if not args.only or "login" in args.only:
            for width in args.widths:
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=str(out / f"login-{width}.png"), full_page=True)
        page.fill("input[name=username]", args.email)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        ids = {
            "account": first_id(page, args.base, "/accounts/", r"/accounts/(\d+)/"),
            "contact": first_id(page, args.base, "/contacts/", r"/contacts/(\d+)/"),
            "partner": first_id(page, args.base, "/partners/", r"/partners/(\d+)/"),
            "interaction": first_id(page, args.base, "/interactions/", r"/interactions/(\d+)/"),
            "segment": first_id(
                page, args.base, "/differentiate/", r"/differentiate/segments/(\d+)/"
            ),
            "pair": first_id(page, args.base, "/duplicates/", r"/duplicates/pairs/(\d+)/.*"),
        }
        ids.update(dict(pair.split("=", 1) for pair in args.id))
        ids["thread"] = (
            first_id(page, args.base, f"/accounts/{ids['account']}/left-off/", r"/threads/(\d+)/")
            if ids["account"]
            else None
        )
        problems: list[str] = []
        page.on(
            "console",
            lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
        page.on(
            "response",
            lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None,
        )
        for name, path in PAGES:
            if args.only and name not in args.only:
                continue
            try:
                address = args.base + path.format(**ids)
            except KeyError:
                continue
            if "/None/" in address or address.endswith("=None"):
                continue
            for width in args.widths:
                problems.clear()
                page.set_viewport_size({"width": width, "height": 900})
                response = page.goto(address)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(600)  # chart animations
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                status = response.status if response else "?"
                if "Rapport" not in page.title():
                    problems.append("title without the product name")
                problems.extend(page.evaluate(LOOKS))
                print(f"{name:20s} {width:5d} {status} {page.title()!r} {'; '.join(problems)}")
        browser.close()
    if args.docs:
        docs = Path(args.docs)
        for doc, name in DOCS.items():
            taken = out / f"{name}-{args.widths[0]}.png"
            if taken.exists():
                shutil.copyfile(taken, docs / f"{doc}.png")
                print(f"{docs / doc}.png <- {taken}")


if __name__ == "__main__":
    main()
