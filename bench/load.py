"""Many sessions on one local server: real Chromium tabs clicking and sliding on the latent map.

    python -m bench.load [--sessions 20] [--seconds 60]      # from the repository root

Starts `streamlit run app.py` on 127.0.0.1 (loopback only) and opens `--sessions`
tabs (at most 50) in one headless Chromium. For `--seconds` (at most 300) every tab
alternates, with a short pause, between
  select   selecting a random test digit on its map, timed until the server's
           answer (the digit's original) is in that tab's panel, and
  slide    moving the z1 slider and releasing it, timed until the server has
           written the new z into that tab's link.
Prints one table: interactions, errors (uncaught page errors, Streamlit
exceptions, answers that did not come within 20 s; must be 0), p50/p95 latency,
and the server's resident memory: at rest, per open session, and after the
tabs close. With --rounds 2 the whole thing runs twice on the same server: memory
that the first round's sessions kept shows as growth that a second round does
not repeat (memory kept for reuse) or does (a leak).
"""
from __future__ import annotations

import argparse
import asyncio
import random
import time

import numpy as np
from playwright.async_api import async_playwright

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, streamlit_process
from vae_core.storage import settings

READY = ".lm-root[data-ready='1']"
ANSWER_S = 20.0
VIEW = "window.__latentMap.view()"
SELECT = f"""(index) => {{ const view = {VIEW};
  view.select({{ split: "test", index }}, null, "click"); }}"""
ANSWERED = f"(index) => {VIEW}.originals.get('test:' + index)?.pixels != null"
SLIDE = f"""(value) => {{ const view = {VIEW};
  view.onSlider(0, value, {{ timeStamp: performance.now() }}); view.commit("slider"); }}"""
LINKED = "(prefix) => (new URL(location.href).searchParams.get('z') || '').startsWith(prefix)"


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (from /proc)."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def open_tab(context, url: str):
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    await page.goto(url)
    await page.wait_for_selector(READY, timeout=120_000)
    await page.wait_for_function("() => window.__latentMap && window.__latentMap.last", timeout=120_000)
    return page


async def drive(page, until: float, rng: random.Random, latencies: dict, errors: list) -> None:
    """One tab's loop of selections and slider moves until `until` (monotonic seconds)."""
    step = 0
    while time.monotonic() < until:
        step += 1
        started = time.perf_counter()
        try:
            if step % 2:
                index = rng.randrange(10_000)
                await page.evaluate(SELECT, index)
                await page.wait_for_function(ANSWERED, arg=index, timeout=ANSWER_S * 1000)
                latencies["select"].append(time.perf_counter() - started)
            else:
                value = round(rng.uniform(-2.5, 2.5), 2)
                await page.evaluate(SLIDE, value)
                await page.wait_for_function(LINKED, arg=f"{value:.3f}".rstrip("0").rstrip("."), timeout=ANSWER_S * 1000)
                latencies["slide"].append(time.perf_counter() - started)
        except Exception as exc:  # a timeout or a closed page: counted, the tab goes on
            errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
        await asyncio.sleep(rng.uniform(0.3, 0.8))


async def one_round(context, url: str, server, sessions: int, seconds: float, seed: int) -> dict:
    """Open the tabs, drive them, close them; latencies, errors and memory (MB) along the way."""
    pages = [await open_tab(context, url) for _ in range(sessions)]
    await asyncio.sleep(3)
    open_rss = rss_mb(server.pid)
    latencies, errors = {"select": [], "slide": []}, []
    until = time.monotonic() + seconds
    await asyncio.gather(*(drive(p, until, random.Random(seed + i), latencies, errors) for i, p in enumerate(pages)))
    for p in pages:
        errors += p.errors
        if await p.get_by_test_id("stException").count():
            errors.append("a Streamlit exception on the page")
    after_run = rss_mb(server.pid)
    for p in pages:
        await p.close()
    await asyncio.sleep(15)  # the server drops closed sessions
    return {"latencies": latencies, "errors": errors, "open": open_rss, "after_run": after_run,
            "closed": rss_mb(server.pid)}


async def run(sessions: int, seconds: float, rounds: int) -> tuple[float, list[dict]]:
    """(server memory at rest in MB, one result per round)."""
    root = settings.REPO
    with streamlit_process(root / "app.py", cwd=root, timeout=120) as (url, server):
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = await browser.new_context(viewport={"width": 1000, "height": 700})
            await context.add_init_script("globalThis.__latentMapTesting = true")
            warm = await open_tab(context, url)  # loads the model and payloads into the server's caches
            await warm.close()
            await asyncio.sleep(5)
            at_rest = rss_mb(server.pid)
            results = [await one_round(context, url, server, sessions, seconds, 1000 * k) for k in range(rounds)]
            await browser.close()
    return at_rest, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50 or not 1 <= args.seconds <= 300 or not 1 <= args.rounds <= 3:
        parser.error("bounded: 1-50 sessions, 1-300 seconds, 1-3 rounds")
    at_rest, results = asyncio.run(run(args.sessions, args.seconds, args.rounds))
    print(f"| measure | value |\n|---|---|\n| sessions x seconds | {args.sessions} x {args.seconds:g} |")
    print(f"| server memory at rest (model loaded) | {at_rest:.0f} MB |")
    for k, r in enumerate(results, 1):
        for kind, values in r["latencies"].items():
            ms = 1000 * np.array(values) if values else np.array([np.nan])
            print(f"| round {k}, {kind}: interactions, p50, p95 | {len(values)}, {np.median(ms):.0f} ms, "
                  f"{np.percentile(ms, 95):.0f} ms |")
        print(f"| round {k}: errors | {len(r['errors'])} |")
        print(f"| round {k}: memory with the sessions open, per session | {r['open']:.0f} MB, "
              f"{(r['open'] - at_rest) / args.sessions:.1f} MB |")
        print(f"| round {k}: memory after the run | {r['after_run']:.0f} MB |")
        print(f"| round {k}: memory 15 s after the tabs closed | {r['closed']:.0f} MB ({r['closed'] - at_rest:+.0f} MB "
              "vs at rest) |")
        for error in r["errors"][:5]:
            print("error:", error)


if __name__ == "__main__":
    main()
