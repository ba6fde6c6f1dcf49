"""Take docs/img/web/*.png: each main page of the demo, signed in as the role that uses it (scripts/screenshots)."""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import ViewportSize, sync_playwright

from gateways.cli.demo import demo_users
from gateways.http.app import create_app
from infra.bootstrap import Kentra, bootstrap
from infra.settings import Settings
from services.lists import ListQuery, list_entries

OUT = Path("docs/img/web")
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]


def warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Shooter:
    """One browser tab on the local server that signs in as a demo user and keeps screenshots."""

    def __init__(self, page: Any, url: str, passwords: dict[str, str]) -> None:
        self.page, self.url, self.passwords = page, url, passwords

    def sign_in(self, username: str) -> None:
        self.page.context.clear_cookies()
        self.page.goto(self.url + "/")
        self.page.get_by_label("Όνομα χρήστη").fill(username)
        self.page.get_by_label("Κωδικός πρόσβασης").fill(self.passwords[username])
        self.page.get_by_role("button", name="Είσοδος").click()
        self.page.wait_for_load_state()

    def shot(self, name: str, path: str | None) -> bool:
        """Go to ``path`` (None: stay) and keep the screenshot; a missing page is skipped with a warning."""
        if path is not None:
            response = self.page.goto(self.url + path)
            if response is None or response.status >= 400:
                warn(f"{name}: {path} answered {response.status if response else 'nothing'}; skipped")
                return False
        self.page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
        print(f"{OUT / name}.png  ({self.page.url.removeprefix(self.url)})")
        return True

    def first_link(self, pattern: str) -> str | None:
        for href in self.page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))"):
            if re.search(pattern, href):
                return str(href)
        return None


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    kentra = bootstrap(Settings.load())
    passwords = {name: password for name, _, password in demo_users(kentra)}
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(kentra), host="127.0.0.1", port=port, log_config=None))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as driver:
            chromium = os.environ.get("KENTRA_TEST_CHROMIUM", "/usr/bin/chromium")
            browser = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_context(locale="el-GR", viewport=VIEWPORT).new_page()
            shoot(Shooter(page, f"http://127.0.0.1:{port}", passwords), kentra)
            browser.close()
    finally:
        server.should_exit = True
        kentra.close()


def someone_with_a_request(kentra: Kentra) -> str | None:
    """The caseworker's structure's latest request's person (from the case index: codes and ids only)."""
    caseworker = kentra.accounts.principal("demo.caseworker")
    if caseworker is None:
        return None
    query = ListQuery(50, 0, None, None, None, None, None)
    rows = list_entries(kentra.views("sofades"), caseworker, "request", None, query).rows
    return next((f"/t/sofades/people/{r['beneficiary_id']}" for r in rows if r["beneficiary_id"]), None)


def shoot(s: Shooter, kentra: Kentra) -> None:
    s.shot("login", "/")
    s.sign_in("demo.caseworker")
    s.shot("home", "/home")
    s.shot("worklist", "/t/sofades/work")
    s.page.goto(s.url + "/t/sofades/caseload")
    person = s.first_link(r"^/t/sofades/people/[0-9a-f-]{36}$")
    if person is None:  # the caseload lists no cases: a person of one of her structure's requests
        person = someone_with_a_request(kentra)
    if person is not None and s.shot("person", person):
        surname = s.page.get_by_role("heading", level=1).inner_text().split()[-1]
        request = s.first_link(r"/t/sofades/(requests?|entries/request|request)/[0-9a-f-]{36}")
        if request is None:
            warn("request: no link to a request's page on the person's page; skipped")
        else:
            s.shot("request", request)
        s.shot("people", f"/t/sofades/people?name={surname}")
    else:
        warn("person, request: no person linked from the caseload or the worklist; skipped")
        s.shot("people", "/t/sofades/people")
    s.sign_in("demo.coordinator")
    s.shot("dashboard", "/t/sofades/dashboard")
    s.shot("caseload", "/t/sofades/caseload")
    s.sign_in("demo.auditor")
    s.shot("audit", "/t/sofades/audit?from=01/01/2022&to=31/12/2022")
    s.sign_in("demo.analyst")
    s.shot("region", "/r/thessaly/dashboard?period=2022")


if __name__ == "__main__":
    main()
