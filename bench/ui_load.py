"""The web workplace under load: cold start of `kb serve`, warm single questions, then N concurrent clients.

    python bench/ui_load.py --data-dir DIR [--clients 10] [--seconds 60] [--qa ../shared/eval/dev_qa.jsonl]

Starts `kb serve` on 127.0.0.1 (a free port) over KB_DATA_DIR=DIR, indexing the bundled corpus first if DIR
holds no documents. Questions go through the same /ask endpoint the page uses (gradio_client); when
/usr/bin/chromium and playwright are installed, a few are also typed into the page in headless chromium.
Every loop is bounded by time and count, and the server is stopped at the end. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
KB = [sys.executable, "-m", "cli.main"]
DEFAULT_QA = ROOT.parent / "shared" / "eval" / "dev_qa.jsonl"
WARM_QUESTIONS = 20
MAX_REQUESTS_PER_CLIENT = 10_000
BROWSER_QUESTIONS = 5
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(url: str):
    from gradio_client import Client
    return Client(url, verbose=False)


def ask(c, question: str) -> float:
    """Seconds for one answered question; raises if the reply holds no answer."""
    t0 = time.perf_counter()
    chat, sources, *_ = c.predict(question, [], [], "", "", api_name="/ask")
    elapsed = time.perf_counter() - t0
    if not chat or not chat[-1]["content"][0]["text"].strip():
        raise RuntimeError("empty answer")
    return elapsed


def ensure_indexed(env: dict) -> str:
    status = subprocess.run(KB + ["status", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    if json.loads(status.stdout)["n_documents"]:
        return "existing index"
    t0 = time.perf_counter()
    subprocess.run(KB + ["ingest", "-q"], cwd=ROOT, env=env, check=True)
    return f"indexed corpus/ first ({time.perf_counter() - t0:.0f} s)"


def cold_start(env: dict, port: int, question: str, limit: float = 120.0) -> tuple[subprocess.Popen, float, float]:
    """Launch `kb serve`; seconds until the page answers HTTP, and until the first question is answered."""
    import urllib.request
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    log = tempfile.TemporaryFile(mode="w+")          # a file, not a pipe: a full pipe would stall the server
    server = subprocess.Popen(KB + ["serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, text=True)
    up = None
    while time.perf_counter() - t0 < limit:
        if server.poll() is not None:
            log.seek(0)
            raise SystemExit(f"kb serve exited: {log.read()[-2000:]}")
        try:
            urllib.request.urlopen(url + "config", timeout=2).read()
            up = time.perf_counter() - t0
            break
        except OSError:
            time.sleep(0.05)
    try:
        if up is None:
            raise SystemExit(f"kb serve did not answer within {limit:.0f} s")
        ask(client(url), question)
    except BaseException:
        stop(server)
        raise
    return server, up, time.perf_counter() - t0


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def browser_latencies(url: str, questions: list[str]) -> list[float] | None:
    """Seconds from pressing Enter in the page to the answer shown (its turn appears in the sources panel);
    None without /usr/bin/chromium or playwright. Same headless chromium as tests/test_browser.py."""
    if not Path(CHROMIUM).is_file():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url)
        box = page.get_by_placeholder("请输入问题，回车发送")
        for n, question in enumerate(questions, start=1):
            box.fill(question)
            t0 = time.perf_counter()
            box.press("Enter")
            # Checked every animation frame (expect() polls with back-off, which would inflate the figure).
            page.wait_for_function("n => document.querySelectorAll('details.src-turn').length >= n", arg=n,
                                   polling="raf", timeout=30_000)
            out.append(time.perf_counter() - t0)
        browser.close()
    return out


def load(url: str, questions: list[str], n_clients: int, seconds: float) -> tuple[list[float], list[str], float]:
    """n_clients threads, each with its own client, asking in a loop until the deadline."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    clients = [client(url) for _ in range(n_clients)]
    start = threading.Barrier(n_clients + 1)

    def worker(i: int) -> None:
        start.wait()
        deadline = time.perf_counter() + seconds
        for k in range(MAX_REQUESTS_PER_CLIENT):
            if time.perf_counter() >= deadline:
                break
            question = questions[(i * 7 + k) % len(questions)]
            try:
                elapsed = ask(clients[i], question)
                with lock:
                    latencies.append(elapsed)
            except Exception as err:          # counted and reported, the loop goes on
                with lock:
                    errors.append(f"{type(err).__name__}: {err}"[:200])

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n_clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join(timeout=seconds + 120)
    return latencies, errors, time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True, help="KB_DATA_DIR for the server (indexed first if empty)")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--qa", default=str(DEFAULT_QA))
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in open(args.qa, encoding="utf-8") if line.strip()]
    env = {**os.environ, "KB_DATA_DIR": str(Path(args.data_dir).resolve()), "GRADIO_ANALYTICS_ENABLED": "False",
           "ANONYMIZED_TELEMETRY": "False"}
    env.pop("KB_USERS", None)
    index_note = ensure_indexed(env)
    port = free_port()
    server, up, first = cold_start(env, port, questions[0])
    url = f"http://127.0.0.1:{port}/"
    try:
        c = client(url)
        warm = [ask(c, q) for q in questions[1:WARM_QUESTIONS + 1]]
        in_page = browser_latencies(url, questions[-BROWSER_QUESTIONS:])
        latencies, errors, wall = load(url, questions, args.clients, args.seconds)
    finally:
        stop(server)

    print(f"data dir: {env['KB_DATA_DIR']} ({index_note}); {os.cpu_count()} CPUs; {len(questions)} questions\n")
    print("| measure | result | bar |\n|---|---|---|")
    print(f"| cold start: launch `kb serve` → page answers HTTP | {up:.1f} s | |")
    print(f"| cold start: launch `kb serve` → first question answered via /ask | {first:.1f} s | ≤ 10 s |")
    print(f"| one client, warm, {len(warm)} questions: median / max | {statistics.median(warm) * 1000:.0f} ms / "
          f"{max(warm) * 1000:.0f} ms | ≤ 1 s |")
    if in_page:
        print(f"| in the page (headless chromium), warm, {len(in_page)} questions: Enter → answer shown, median / max "
              f"| {statistics.median(in_page) * 1000:.0f} ms / {max(in_page) * 1000:.0f} ms | ≤ 1 s |")
    print(f"\n{args.clients} concurrent clients for {args.seconds:.0f} s (ran {wall:.1f} s):\n")
    print("| requests | errors | throughput | p50 | p95 | max |\n|---|---|---|---|---|---|")
    if latencies:
        print(f"| {len(latencies) + len(errors)} | {len(errors)} | {len(latencies) / wall:.1f} /s | "
              f"{pct(latencies, 0.5) * 1000:.0f} ms | {pct(latencies, 0.95) * 1000:.0f} ms | "
              f"{max(latencies) * 1000:.0f} ms |")
    else:
        print(f"| {len(errors)} | {len(errors)} | 0 /s | – | – | – |")
    for message in sorted(set(errors))[:5]:
        print(f"error: {message}")


if __name__ == "__main__":
    main()
