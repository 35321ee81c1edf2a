"""Does a training on the Train page slow the latent map in another session?

    python -m bench.train_contention [--seconds 3] [--clicks 15] [--rounds 2]      # from the repository root

Starts the app on a copy of the default model (a temporary models folder, so
nothing is added to models/), opens the map in one tab and the Train page in
another, and measures the map's hover decoding (pointer move -> image on
screen, and the decode itself) and clicks (click -> panel filled) with the
server idle, then while the Train page's defaults are training in the server
process (the Train tab watching, as its owner would), in alternating rounds.
Prints one table of medians and p95s and the ratio training / idle; the target
is a ratio of at most 1.5.
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

from bench.browser_decode import clicks, isolated, open_map, stats, sweep
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, streamlit_server
from vae_core.storage import settings
from vae_core.storage.latents import load_latent_cache
from vae_core.storage.store import cache_path_for

DEFAULT = settings.REPO / "models" / "mnist_vae_z2.pt"


def measure(page, mu: np.ndarray, rows: list[int], seconds: float) -> dict[str, list[float]]:
    taken = clicks(page, rows, mu)
    swept = sweep(page, seconds)
    return {"click": taken, "hover": swept["latency"], "decode": swept["decode"]}


def start_training(tab, watch: bool) -> None:
    tab.get_by_role("button", name="Start training").click()
    tab.get_by_text("batch", exact=False).first.wait_for(timeout=120_000)
    tab.wait_for_timeout(3000)  # past reading the dataset: the batches are running
    if not watch:
        tab.goto("about:blank")  # the session ends; the training goes on in the server


def stop_training(tab, url: str, watch: bool) -> None:
    if not watch:
        tab.goto(f"{url}/Train")  # a new session: the run is not its own, so it cannot cancel; wait for the end
        tab.get_by_text("saved", exact=False).first.wait_for(timeout=600_000)
        return
    tab.get_by_role("button", name="Cancel training").click()
    tab.get_by_text("nothing was written", exact=False).wait_for(timeout=120_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="hover sweep per measurement")
    parser.add_argument("--clicks", type=int, default=15, help="clicks per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="idle/training pairs")
    parser.add_argument("--no-watch", action="store_true",
                        help="close the Train tab while it trains (its rendering then does not share this machine's "
                             "cores; each run trains 5 epochs to its end)")
    args = parser.parse_args()
    mu = load_latent_cache(cache_path_for(DEFAULT)).mu
    rows = isolated(mu, args.clicks)
    results = {"idle": {}, "training": {}}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        for path in (DEFAULT, cache_path_for(DEFAULT), cache_path_for(DEFAULT, True)):
            shutil.copy2(path, Path(folder) / path.name)
        env = {"LATENT_EXPLORER_MODELS": folder, "MNIST_DATA_ROOT": str(settings.data_root())}
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with streamlit_server(settings.REPO / "app.py", cwd=settings.REPO, timeout=120, env=env) as url:
            page = open_map(browser, url)[0]
            trainer = browser.new_page(viewport={"width": 1400, "height": 1000})
            trainer.goto(f"{url}/Train")
            if not args.no_watch:  # outlasts a round; it is cancelled at its end
                trainer.get_by_label("Epochs", exact=True).and_(trainer.locator("input")).fill("200")
            for _ in range(args.rounds):
                for state in ("idle", "training"):
                    if state == "training":
                        start_training(trainer, not args.no_watch)
                    for key, values in measure(page, mu, rows, args.seconds).items():
                        results[state].setdefault(key, []).extend(values)
                    if state == "training":
                        stop_training(trainer, url, not args.no_watch)
        browser.close()
    names = {"click": "click -> panel filled", "hover": "pointer move -> image on screen", "decode": "decode one z"}
    print(f"cores: {os.cpu_count()}; rounds: {args.rounds}; training: the Train page's defaults; "
          f"the Train tab {'closed' if args.no_watch else 'watching'} while it trains\n")
    print("| measure | idle median, p95 (ms) | training median, p95 (ms) | ratio of medians | target |")
    print("|---|---|---|---|---|")
    for key, name in names.items():
        (im, ip), (tm, tp) = stats(results["idle"][key]), stats(results["training"][key])
        print(f"| {name} (n={len(results['idle'][key])}, {len(results['training'][key])}) | {im:.2f}, {ip:.2f} | "
              f"{tm:.2f}, {tp:.2f} | {tm / im:.2f} | <= 1.5 |")


if __name__ == "__main__":
    main()
