"""Benchmark of the citizen's pages on the demo (`python -m bench.pages`).

- Server time of each step: median of repeated requests over loopback (target <= 50 ms),
  the booking itself included (each confirmation books a new visit).
- Weight: bytes transferred by Chromium for a first visit of the home page, fonts included
  (target <= 250 KB), and for a repeat visit, static files from the cache (target <= 20 KB).
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import time
import uuid
from urllib.parse import urlencode, urlsplit

from playwright.sync_api import sync_playwright

from tools.demo_server import demo_server
from tools.journey import renewal_until_slot
from tools.live_server import CHROMIUM, CHROMIUM_ARGS

RUNS = 30


def timed(
    port: int, method: str, url: str, body: str | None = None, index: int = 0
) -> tuple[float, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept-Language": "fr", "Accept-Encoding": "gzip"}
    headers["X-Forwarded-For"] = f"10.0.{index // 256}.{index % 256}"  # a citizen each
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.perf_counter()
    connection.request(method, url, body=body, headers=headers)
    answer = connection.getresponse()
    answer.read()
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    return elapsed, answer.status


def median_ms(port: int, method: str, url: str, body=None, runs: int = RUNS) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for index in range(runs):
        payload = body(index) if callable(body) else body
        elapsed, status = timed(port, method, url, payload, index)
        assert status < 400, (url, status)
        samples.append(elapsed)
    return statistics.median(samples)


def step_urls(base: str) -> tuple[str, list[tuple[str, str]], list[str]]:
    """Walk the journey once in a browser to learn each step's URL and its first times."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(base_url=base, locale="fr-FR")
        renewal_until_slot(page)
        slot_url = page.url
        hidden = page.locator("form[action='/rendez-vous/coordonnees'] input[type=hidden]")
        fields = [
            (hidden.nth(i).get_attribute("name") or "", hidden.nth(i).get_attribute("value") or "")
            for i in range(hidden.count())
        ]
        starts = page.locator("input[name=start]").evaluate_all("ns => ns.map(n => n.value)")[::2]
        browser.close()
    return slot_url, fields, starts


def weights(base: str) -> tuple[int, int, int]:
    """(first visit, repeat visit, requests of the first) bytes as Chromium received them."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base, locale="fr-FR")
        page = context.new_page()
        received: list[int] = []

        def count(response) -> None:  # type: ignore[no-untyped-def]
            sizes = response.request.sizes()
            received.append(sizes["responseBodySize"] + sizes["responseHeadersSize"])

        page.on("response", count)
        page.goto("/")
        page.wait_for_load_state("networkidle")
        first, requests = sum(received), len(received)
        received.clear()
        page.goto("/")
        page.wait_for_load_state("networkidle")
        repeat = sum(received)
        browser.close()
    return first, repeat, requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a small size, for CI")
    most = 3 if parser.parse_args().smoke else RUNS
    with demo_server() as server:
        port = urlsplit(server.url).port or 80
        slot_url, fields, starts = step_urls(server.url)
        query = urlsplit(slot_url).query
        contact = [
            *fields,
            ("start", starts[0]),
            ("name", "Amina Diallo"),
        ]  # 20-min visits: every other start
        contact.append(("phone", "06 12 34 56 78"))

        def confirmation(index: int) -> str:
            """A citizen each: one live visit per person and procedure."""
            start = starts[index % len(starts)]
            chosen = [(k, v) for k, v in contact if k not in ("start", "phone")]
            phone = f"06 12 34 {index // 100:02d} {index % 100:02d}"
            return urlencode(
                [*chosen, ("start", start), ("phone", phone), ("key", uuid.uuid4().hex)]
            )

        steps = [
            ("1 procedure", "GET", "/", None),
            ("2 site", "GET", "/rendez-vous/lieu?procedure=residence-permit-renewal", None),
            ("3 documents", "GET", "/rendez-vous/pieces?" + query, None),
            ("4 day and time", "GET", slot_url.removeprefix(server.url), None),
            ("5 contact", "GET", "/rendez-vous/coordonnees?" + urlencode(contact[:-2]), None),
            ("6 summary", "POST", "/rendez-vous/recapitulatif", urlencode(contact)),
            ("7 confirmation (books)", "POST", "/rendez-vous/confirmation", confirmation),
        ]
        print(f"Server time per step, median of {most} requests (target <= 50 ms):")
        for name, method, url, body in steps:
            runs = min(most, len(starts)) if callable(body) else most
            print(f"    {name:<24} {median_ms(port, method, url, body, runs):6.1f} ms")
        first, repeat, requests = weights(server.url)
        print("Weight of the home page, as Chromium received it:")
        print(f"    first visit   {first / 1000:6.1f} KB in {requests} requests (target <= 250 KB)")
        print(f"    repeat visit  {repeat / 1000:6.1f} KB (target <= 20 KB)")


if __name__ == "__main__":
    main()
