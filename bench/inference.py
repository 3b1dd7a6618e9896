"""Inference throughput: the project's model on the same requests, one by one vs batched.

Builds the labeling-quality model into a temporary folder, makes 4,096 one-row requests, then runs
them through the engine (validation, onnxruntime, per-request results) one at a time and in batches
of 1, 8, 64 and 256 rows. A request's latency is the time until its batch's results are out.
Target: batched at 64 at least 10x the requests/s of one by one, on this CPU.
"""

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sahara_dao.inference.build_models import build_quality_model, synthetic_labeling
from sahara_dao.inference.engine import load_model, results
from sahara_dao.inference.providers import default_providers
from sahara_dao.inference.store import file_sha256

REQUESTS = 4096
BATCHES = (1, 8, 64, 256)
TARGET = 10.0


def requests(count: int) -> list[dict]:
    features, _ = synthetic_labeling(count, seed=3)
    return [{"features": [row.tolist()]} for row in features]


def run(model, inputs: list[dict], batch: int | None) -> tuple[float, list[float]]:
    """Seconds for all requests and each request's latency; ``batch=None`` is one by one (no stacking)."""
    latencies, start = [], time.perf_counter()
    step = batch or 1
    for first in range(0, len(inputs), step):
        began = time.perf_counter()
        chunk = inputs[first:first + step]
        rows = [model.validate(item) for item in chunk]
        stacked = rows[0] if batch is None else np.concatenate(rows)
        labels, probabilities, _ = model.run(stacked)
        results(labels, probabilities)
        latencies.extend([time.perf_counter() - began] * len(chunk))
    return time.perf_counter() - start, latencies


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = build_quality_model(Path(folder))
        model = load_model(str(path), file_sha256(path), tuple(default_providers()))
        inputs = requests(REQUESTS)
        run(model, inputs[:256], 64)  # warm up
        rows = [("one by one", *run(model, inputs, None))]
        rows += [(f"batch {size}", *run(model, inputs, size)) for size in BATCHES]
    base = REQUESTS / rows[0][1]
    print(f"{REQUESTS} one-row requests, provider {model.provider}, target: batch 64 >= {TARGET:.0f}x one by one\n")
    print(f"{'mode':<12} {'requests/s':>12} {'p50 ms':>9} {'p99 ms':>9} {'speedup':>8}")
    speedups = {}
    for name, seconds, latencies in rows:
        rate = REQUESTS / seconds
        speedups[name] = rate / base
        p50, p99 = np.percentile(latencies, [50, 99]) * 1000
        print(f"{name:<12} {rate:>12,.0f} {p50:>9.3f} {p99:>9.3f} {rate / base:>7.1f}x")
    met = speedups["batch 64"] >= TARGET
    print(f"\nbatch 64: {speedups['batch 64']:.1f}x one by one, target {TARGET:.0f}x: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
