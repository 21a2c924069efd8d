"""Requests per second and p50/p95 latency of real pages against a trivial route."""
import os
import re
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
DURATION = os.environ.get("BENCH_DURATION", "5s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")


def wrk(url, cookie=""):
    """Run wrk against `url`; return a dict of figures."""
    env = dict(os.environ, BENCH_COOKIE=cookie)
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency",
                          "-s", os.path.join(HERE, "percentiles.lua"), url],
                         capture_output=True, text=True, env=env, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT "))
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}


def run(base, cookies, pages):
    """Benchmark each (label, path, cookie-role) in `pages`; print figures and ratios."""
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install wrk")
        return {}
    results = {}
    for label, path, role in pages:
        results[label] = wrk(base + path, cookies.get(role, ""))
    baseline = results[pages[0][0]]
    print(f"{'page':34} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'vs trivial (req/s)':>19} {'non-2xx':>8}")
    for label, figures in results.items():
        ratio = figures["rps"] / baseline["rps"] if baseline["rps"] else 0
        print(f"{label:34} {figures['rps']:9.1f} {figures['p50_ms']:8.2f} {figures['p95_ms']:8.2f} "
              f"{ratio:18.2f}x {int(figures['non2xx']):8d}")
    return results
