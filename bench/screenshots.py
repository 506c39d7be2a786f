"""Full-page screenshots of Rapport's pages, as a person would see them.

    python bench/screenshots.py --base http://127.0.0.1:8000 --out var/screenshots [--widths 1440 1024]

Signs in with the demo login, finds an account, contact, interaction and partner from
the lists, and saves one PNG per page and width. Uses Debian's Chromium through
Playwright (CHROMIUM_PATH or `chromium` on PATH). Prints each page's status, title,
console errors and failed requests, so a broken page shows in the output too.
"""

from __future__ import annotations

import argparse
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
    ("contacts", "/contacts/"),
    ("contact", "/contacts/{contact}/"),
    ("contact-profile", "/contacts/{contact}/profile/"),
    ("contact-preferences", "/contacts/{contact}/preferences/"),
    ("end-users", "/end-users/"),
    ("partners", "/partners/"),
    ("partner", "/partners/{partner}/"),
    ("timeline", "/interactions/"),
    ("interaction", "/interactions/{interaction}/"),
    ("commitments", "/commitments/mine/"),
    ("capture", "/scorecards/capture/"),
    ("gone-quiet", "/alerts/quiet/"),
    ("differentiate", "/differentiate/"),
    ("attributes", "/memory/attributes/"),
    ("contradictions", "/memory/contradictions/"),
    ("reasks", "/memory/reasks/"),
    ("duplicates", "/duplicates/"),
    ("import", "/import/"),
    ("ingestion", "/interactions/import/"),
    ("search", "/search/?q=a"),
    ("tokens", "/settings/tokens/"),
    ("lockouts", "/settings/lockouts/"),
    ("api-docs", "/api/v1/docs"),
]


def first_id(page: Page, base: str, path: str, pattern: str) -> str:
    page.goto(base + path)
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
        match = re.fullmatch(pattern, href or "")
        if match:
            return match.group(1)
    raise SystemExit(f"no link matching {pattern} on {path}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="var/screenshots")
    parser.add_argument("--widths", type=int, nargs="+", default=[1440, 1024])
    parser.add_argument("--email", default="demo@rapport.example")
    parser.add_argument("--password", default="rapport-demo")
    parser.add_argument("--only", nargs="*", help="page names to take")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": args.widths[0], "height": 900})
        page = context.new_page()
        page.goto(args.base + "/login/")
        page.fill("input[name=username]", args.email)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        ids = {
            "account": first_id(page, args.base, "/accounts/", r"/accounts/(\d+)/"),
            "contact": first_id(page, args.base, "/contacts/", r"/contacts/(\d+)/"),
            "partner": first_id(page, args.base, "/partners/", r"/partners/(\d+)/"),
            "interaction": first_id(page, args.base, "/interactions/", r"/interactions/(\d+)/"),
        }
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
            for width in args.widths:
                problems.clear()
                page.set_viewport_size({"width": width, "height": 900})
                response = page.goto(args.base + path.format(**ids))
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(600)  # chart animations
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                status = response.status if response else "?"
                print(f"{name:20s} {width:5d} {status} {page.title()!r} {'; '.join(problems)}")
        browser.close()


if __name__ == "__main__":
    main()
