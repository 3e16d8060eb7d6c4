"""Benchmark for the check page (issue 20): a 20-drug list's results within 200 ms of submitting.
Prints its figures; it is not a test.

    python benchmarks/bench_web.py [--runs 30]

Starts the service on a free loopback port (uvicorn, in a thread, the session's configured KB)
and measures, after one warm-up submission:
* the form post of a pasted 20-drug list with a patient context, to the whole HTML page received
  (HTTP client, median and 95th percentile), and the check's own time inside it;
* in headless Chromium (Debian's /usr/bin/chromium, when installed): from the click on Check to
  the findings on screen (the new page parsed and its results rendered), median and p95.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MEDS = """Current medications:
1. tramadol 50 mg PO q6h
2. Neurontin 600 mg PO TID
3. Demerol 75 mg IM q3h
4. sertraline 100 mg daily
5. amlodipine 5 mg daily
6. metformin 500 mg bd
7. clonazepam 0.5 mg bd
8. Keppra 1,000 mg bd
9. lisinopril 10 mg daily
10. lithium carbonate 400 mg nocte
11. oxycodone 5 mg q4h prn
12. ondansetron 4 mg tid
13. quetiapine 25 mg nocte
14. omeprazole 20 mg daily
15. cefepime 2 g IV q8h
16. baclofen 10 mg tid
17. amitriptyline 25 mg nocte
18. morphine 10 mg q4h prn
19. pregabalin 150 mg bd
20. metoclopramide 10 mg tid
"""
CONTEXT = {
    "age": "81",
    "sex": "female",
    "weight_kg": "60",
    "creatinine": "1.8",
    "myoclonus": "present",
}
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def serving() -> Iterator[str]:
    import uvicorn

    from pharmcheck.service.app import create_app
    from pharmcheck.service.settings import ServiceSettings

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(
        ServiceSettings(allow_unauthenticated=True, public_url=f"http://127.0.0.1:{port}")
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def over_http(url: str, runs: int) -> None:
    import re

    import httpx

    with httpx.Client(timeout=30) as client:
        client.post(f"{url}/", data={"medications": MEDS, **CONTEXT})  # warm-up: KB caches
        times, inside = [], []
        for _ in range(runs):
            started = time.perf_counter()
            page = client.post(f"{url}/", data={"medications": MEDS, **CONTEXT})
            times.append(time.perf_counter() - started)
            assert page.status_code == 200 and "PC501" in page.text
            found = re.search(r"Checked in ([\d.]+) ms", page.text)
            assert found is not None
            inside.append(float(found[1]) / 1000)
    findings = page.text.count('class="finding"')
    print(f"20-drug list, {findings} findings, HTTP form post to whole page: {summary(times)}")
    print(f"  of which the library check: {summary(inside)}")


# Runs in every page: the submit's moment (kept across the navigation in sessionStorage), and
# the moment of the second animation frame after the new page is parsed (its results painted).
TIMING = """
document.addEventListener("submit", () => {
  sessionStorage.setItem("submitAt", String(performance.timeOrigin + performance.now()));
}, true);
document.addEventListener("DOMContentLoaded", () => {
  requestAnimationFrame(() => requestAnimationFrame(() => {
    window.__shownAt = performance.timeOrigin + performance.now();
  }));
});
"""


def in_browser(url: str, runs: int) -> None:
    if not CHROMIUM.exists():
        print(f"in the browser: skipped, no Chromium at {CHROMIUM}")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # The measuring script is injected; the pages' Content-Security-Policy would refuse it.
        page = browser.new_context(bypass_csp=True).new_page()
        page.add_init_script(TIMING)
        shown, driven = [], []
        for run in range(runs + 1):
            page.goto(f"{url}/")
            page.get_by_label("Paste the list").fill(MEDS)
            for field, value in CONTEXT.items():
                locator = page.locator(f"#{field}")
                if locator.evaluate("e => e.tagName") == "SELECT":
                    locator.select_option(value)
                else:
                    locator.fill(value)
            started = time.perf_counter()
            page.get_by_role("button", name="Check", exact=True).click()
            page.wait_for_selector("section.results", state="visible")
            page.wait_for_function("window.__shownAt !== undefined")
            if run:  # the first is a warm-up
                driven.append(time.perf_counter() - started)
                shown.append(
                    page.evaluate("window.__shownAt - Number(sessionStorage.getItem('submitAt'))")
                    / 1000
                )
        browser.close()
    print(f"in Chromium, submit to results painted (browser clock): {summary(shown)}")
    print(
        "  the same driven by Playwright (click to selector seen, with its overhead): "
        f"{summary(driven)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with serving() as url:
        over_http(url, args.runs)
        in_browser(url, args.runs)
    print("target: results within 200 ms of submitting")


if __name__ == "__main__":
    main()
