#!/usr/bin/env python3
"""Load test: `audiospecnet serve` against the reference stack (Scripts/reference_server.py: FastAPI +
uvicorn + PyTorch) on the same machine, the same weights and the same clip, with wrk (Debian's package).

For each server and each concurrency (1, 4, 16 connections) wrk posts the reference's /inference request
({"audio_data": base64}) for a bounded time, against 127.0.0.1 only. A Lua hook checks every answer: status
200 and the expected top-1 class in the body (the class the server gave for the clip before the load).
Reported: requests/s, p50 and p99 latency, wrong answers, peak RSS (VmHWM) and RSS before and after.

    python3 Scripts/load_test.py --model model.safetensors --clip Tests/Fixtures/clips-infer/1-110389-A-0.flac \
        [--binary .build/release/audiospecnet] [--seconds 20] [--threads 2]
"""
import argparse
import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))

LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("LOAD_BODY"), "rb"); wrk.body = f:read("*a"); f:close()
local expected = os.getenv("LOAD_EXPECT")
local bad = 0
function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"class":%s*"' .. expected .. '"') then bad = bad + 1 end
end
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%f p50=%f p99=%f errors=%d bad=%d\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout, bad))
end
"""


def rss(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def wait_ready(url, proc, seconds=120):
    end = time.time() + seconds
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.3)
    raise RuntimeError("server did not come up")


def top1(url, body):
    req = urllib.request.Request(url + "/inference", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())["predictions"][0]["class"]


def measure(name, cmd, url, body_path, body, seconds, connections, env=None):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    rows = []
    try:
        wait_ready(url, proc)
        expected = top1(url, body)
        for _ in range(3):
            top1(url, body)  # warm up
        idle = rss(proc.pid, "VmRSS")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(LUA)
        for c in connections:
            out = subprocess.run(["wrk", "-t", str(min(c, 2)), "-c", str(c), "-d", f"{seconds}s", "--timeout", "60s", "-s", lua.name, url + "/inference"],
                                 capture_output=True, text=True, env={**os.environ, "LOAD_BODY": body_path, "LOAD_EXPECT": expected},
                                 timeout=seconds + 120)
            m = re.search(r"RESULT requests=(\d+) seconds=([\d.]+) p50=([\d.]+) p99=([\d.]+) errors=(\d+) bad=(\d+)", out.stdout)
            if not m:
                raise RuntimeError(f"wrk gave no result: {out.stdout} {out.stderr}")
            n, dur, p50, p99, errors, bad = int(m[1]), float(m[2]), float(m[3]), float(m[4]), int(m[5]), int(m[6])
            rows.append(dict(server=name, connections=c, rps=n / dur, p50_ms=p50, p99_ms=p99, requests=n, wrong=bad + errors))
            print(f"{name:>12} c={c:<3} {n / dur:7.2f} req/s  p50 {p50:8.1f} ms  p99 {p99:8.1f} ms  wrong {bad + errors}", flush=True)
        time.sleep(2)
        peak, after = rss(proc.pid, "VmHWM"), rss(proc.pid, "VmRSS")
        for r in rows:
            r.update(peak_mib=peak, idle_mib=idle, after_mib=after, expected=expected)
        print(f"{name:>12} RSS idle {idle:.0f} MiB, peak {peak:.0f} MiB, after {after:.0f} MiB; answers: {expected}", flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--clip", required=True)
    p.add_argument("--binary", default=os.path.join(HERE, "..", ".build", "release", "audiospecnet"))
    p.add_argument("--seconds", type=int, default=20)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--connections", default="1,4,16")
    p.add_argument("--only", choices=["swift", "reference"], default=None)
    p.add_argument("--json", help="write the rows here")
    a = p.parse_args()
    connections = [int(c) for c in a.connections.split(",")]
    with open(a.clip, "rb") as f:
        body = json.dumps({"audio_data": base64.b64encode(f.read()).decode()}).encode()
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        f.write(body)
        body_path = f.name
    rows = []
    if a.only in (None, "swift"):
        rows += measure("audiospecnet", [a.binary, "serve", "--model", a.model, "--port", "8101", "--threads", str(a.threads)],
                        "http://127.0.0.1:8101", body_path, body, a.seconds, connections)
    if a.only in (None, "reference"):
        rows += measure("reference", [sys.executable, os.path.join(HERE, "reference_server.py"), "--model", a.model, "--port", "8102",
                                      "--threads", str(a.threads)],
                        "http://127.0.0.1:8102", body_path, body, a.seconds, connections)
    print("\n| server | clients | requests/s | p50 ms | p99 ms | wrong | peak RSS MiB | RSS idle → after MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['server']} | {r['connections']} | {r['rps']:.2f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['wrong']} | "
              f"{r['peak_mib']:.0f} | {r['idle_mib']:.0f} → {r['after_mib']:.0f} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
