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

With --training the server runs on a copy of models/ and each round is measured
twice: idle, then while the Train page trains (150 epochs of its defaults, started
and finally cancelled from a Train tab that stays open, as its owner's would). While
the tabs drive the map, every page is also opened by its link in one more new tab,
timed until its main content shows (bench/page_times's measure). The table then
prints idle against training; the target is at most 2x idle for every page.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from playwright.async_api import async_playwright

from bench.page_times import CONTENT
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


async def content_seconds(context, link: str) -> float:
    """Seconds from opening `link` in a new tab (a new session) to its main content (nan after 60 s)."""
    tab = await context.new_page()
    started = time.perf_counter()
    await tab.goto(link, wait_until="commit")
    while time.perf_counter() - started < 60:
        if await tab.evaluate(CONTENT):
            seconds = time.perf_counter() - started
            await tab.close()
            return seconds
        await asyncio.sleep(0.05)
    await tab.close()
    return float("nan")


async def page_paths(context, url: str) -> dict[str, str]:
    """Page title -> its path, from the app's own navigation."""
    tab = await open_tab(context, url)
    links = await tab.eval_on_selector_all('[data-testid="stSidebarNav"] a', """as => as.map((a) =>
        [a.innerText.split('\\n').at(-1).trim(), new URL(a.href).pathname])""")
    await tab.close()
    return dict(links)


async def visit_pages(context, url: str, paths: dict[str, str], until: float) -> dict[str, list[float]]:
    """Open every page in turn, again and again until `until`: page title -> seconds to content."""
    seconds = {title: [] for title in paths}
    while time.monotonic() < until:
        for title, path in paths.items():
            seconds[title].append(await content_seconds(context, f"{url}{path}"))
    return seconds


async def one_round(context, url: str, server, sessions: int, seconds: float, seed: int,
                    paths: dict[str, str] | None = None) -> dict:
    """Open the tabs, drive them (and visit `paths` meanwhile), close them; latencies, errors and memory (MB)."""
    pages = [await open_tab(context, url) for _ in range(sessions)]
    await asyncio.sleep(3)
    open_rss = rss_mb(server.pid)
    latencies, errors = {"select": [], "slide": []}, []
    until = time.monotonic() + seconds
    visits = visit_pages(context, url, paths or {}, until) if paths else asyncio.sleep(0, result={})
    *_, content = await asyncio.gather(*(drive(p, until, random.Random(seed + i), latencies, errors)
                                         for i, p in enumerate(pages)), visits)
    for p in pages:
        errors += p.errors
        if await p.get_by_test_id("stException").count():
            errors.append("a Streamlit exception on the page")
    after_run = rss_mb(server.pid)
    for p in pages:
        await p.close()
    await asyncio.sleep(15)  # the server drops closed sessions
    return {"latencies": latencies, "errors": errors, "open": open_rss, "after_run": after_run,
            "closed": rss_mb(server.pid), "content": content}


async def start_training(context, url: str):
    """A Train tab that starts a run outlasting the round (150 epochs of the defaults: about 13 minutes, under the
    server's 15-minute limit on a run's estimate) and stays open."""
    tab = await context.new_page()
    await tab.goto(f"{url}/Train")
    await tab.get_by_label("Epochs", exact=True).and_(tab.locator("input")).fill("150")
    await tab.get_by_role("button", name="Start training").click()
    await tab.get_by_role("button", name="Cancel training").wait_for(timeout=120_000)
    await asyncio.sleep(3)  # past reading the dataset: the batches are running
    return tab


async def cancel_training(tab) -> None:
    await tab.get_by_role("button", name="Cancel training").click()
    await tab.get_by_text("nothing was written", exact=False).wait_for(timeout=120_000)
    await tab.close()


async def run(sessions: int, seconds: float, rounds: int, training: bool) -> tuple[float, list[dict]]:
    """(server memory at rest in MB, one result per round: with --training, an idle and a training one)."""
    root = settings.REPO
    with tempfile.TemporaryDirectory() as folder:
        env = None
        if training:  # a copy: a run that ended by itself would otherwise add a model to models/
            shutil.copytree(root / "models", Path(folder) / "models")
            env = {"LATENT_EXPLORER_MODELS": str(Path(folder) / "models"), "MNIST_DATA_ROOT": str(settings.data_root())}
        with streamlit_process(root / "app.py", cwd=root, timeout=120, env=env) as (url, server):
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = await browser.new_context(viewport={"width": 1000, "height": 700})
                await context.add_init_script("globalThis.__latentMapTesting = true")
                warm = await open_tab(context, url)  # loads the model and payloads into the server's caches
                await warm.close()
                paths = await page_paths(context, url) if training else None
                if paths:  # every page once, so that idle and training both meet warm caches
                    for path in paths.values():
                        await content_seconds(context, f"{url}{path}")
                await asyncio.sleep(5)
                at_rest = rss_mb(server.pid)
                results = []
                for k in range(rounds):
                    results.append(await one_round(context, url, server, sessions, seconds, 1000 * k, paths))
                    if training:
                        trainer = await start_training(context, url)
                        results.append(await one_round(context, url, server, sessions, seconds, 1000 * k, paths))
                        await cancel_training(trainer)
                await browser.close()
    return at_rest, results


def ms_cells(values: list[float]) -> str:
    ms = 1000 * np.array(values) if values else np.array([np.nan])
    return f"{len(values)}, {np.nanmedian(ms):.0f} ms, {np.nanpercentile(ms, 95):.0f} ms"


def print_rounds(results: list[dict], sessions: int, at_rest: float, training: bool) -> None:
    for n, r in enumerate(results):
        k = f"{n // 2 + 1} ({'training' if n % 2 else 'idle'})" if training else n + 1
        for kind, values in r["latencies"].items():
            print(f"| round {k}, {kind}: interactions, p50, p95 | {ms_cells(values)} |")
        print(f"| round {k}: errors | {len(r['errors'])} |")
        print(f"| round {k}: memory with the sessions open, per session | {r['open']:.0f} MB, "
              f"{(r['open'] - at_rest) / sessions:.1f} MB |")
        print(f"| round {k}: memory after the run | {r['after_run']:.0f} MB |")
        print(f"| round {k}: memory 15 s after the tabs closed | {r['closed']:.0f} MB ({r['closed'] - at_rest:+.0f} MB "
              "vs at rest) |")
        for error in r["errors"][:5]:
            print("error:", error)


def print_idle_against_training(results: list[dict]) -> None:
    """One row per measure: idle rounds against training rounds, p50 and p95, and the ratio of the p50s."""
    idle, training = results[0::2], results[1::2]

    def pooled(rounds: list[dict], pick) -> list[float]:
        return [v for r in rounds for v in pick(r)]

    rows = [(f"{kind} (interaction)", lambda r, kind=kind: r["latencies"][kind]) for kind in ("select", "slide")]
    rows += [(f"{title}: link -> content", lambda r, title=title: r["content"][title]) for title in idle[0]["content"]]
    print("\n| measure | idle: n, p50, p95 | training: n, p50, p95 | ratio of p50s |\n|---|---|---|---|")
    worst = 0.0
    for name, pick in rows:
        a, b = pooled(idle, pick), pooled(training, pick)
        ratio = np.nanmedian(b) / np.nanmedian(a) if a and b else float("nan")
        worst = max(worst, ratio) if name.endswith("content") else worst
        print(f"| {name} | {ms_cells(a)} | {ms_cells(b)} | {ratio:.2f} |")
    errors = sum(len(r["errors"]) for r in results)
    print(f"\nerrors: idle {sum(len(r['errors']) for r in idle)}, training {sum(len(r['errors']) for r in training)}; "
          f"worst page ratio {worst:.2f} (target <= 2.0); {'PASS' if worst <= 2 and not errors else 'MISS'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--training", action="store_true", help="each round idle, then with a training running")
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50 or not 1 <= args.seconds <= 300 or not 1 <= args.rounds <= 3:
        parser.error("bounded: 1-50 sessions, 1-300 seconds, 1-3 rounds")
    at_rest, results = asyncio.run(run(args.sessions, args.seconds, args.rounds, args.training))
    print(f"| measure | value |\n|---|---|\n| sessions x seconds | {args.sessions} x {args.seconds:g} |")
    print(f"| server memory at rest (model loaded) | {at_rest:.0f} MB |")
    print_rounds(results, args.sessions, at_rest, args.training)
    if args.training:
        print_idle_against_training(results)


if __name__ == "__main__":
    main()
