"""Inference throughput: each model on the same requests, one by one vs batched (1, 8, 64, 256).

Models, from ``var/models`` (built there when missing; ``make models``, ``make models-minilm``):
- ``labeling-quality``: the project's logistic regression (4 features): per-call overhead only;
- ``review-triage``: the project's 2 x 2,048-unit network (17 MB of weights): the throughput model;
- ``minilm-l6``: all-MiniLM-L6-v2 sentence embeddings, when ``make models-minilm`` has built it.

A request is one row (or one text); each mode runs the engine's whole path on every request
(validation or tokenization, onnxruntime, per-request results). One by one: one call per request,
nothing stacked; batch N: N requests per call (texts padded to the batch's longest). A request's
latency is the time until its batch's results are out. The modes take turns three times and each
keeps its fastest run (the machine is shared). One intra-op thread by default: on a shared
two-core machine a second thread spends its time waiting for the first (`--threads 0` measures
onnxruntime's default, one per core). Target on this CPU: batch 64 >= 10x one by
one; the exit status is that of the throughput model (review-triage).

``python bench/inference.py [--requests N] [--model NAME ...]``
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from sahara_dao.core.settings import get_settings
from sahara_dao.inference.build_minilm import MODEL_FILE as MINILM_FILE
from sahara_dao.inference.build_models import (
    MODEL_FILE,
    TRIAGE_FILE,
    build_quality_model,
    build_triage_model,
    synthetic_items,
    synthetic_labeling,
)  # fmt: skip
from sahara_dao.inference.engine import load_model
from sahara_dao.inference.providers import default_providers
from sahara_dao.inference.store import file_sha256

BATCHES = (1, 8, 64, 256)
TARGET = 10.0
THROUGHPUT_MODEL = "review-triage"
WORDS = ("the a an of in on with near under label box mark region image frame car truck bicycle pedestrian "
         "crossing traffic light stop sign road lane night rain fog partly hidden left right red blue "
         "yellow small large two three several driver cyclist dog bus parked moving").split()  # fmt: skip


def sentences(count: int, seed: int = 3) -> list[str]:
    """Seeded descriptions of labeled items, 5 to 30 words each."""
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, rng.integers(5, 31))) + "." for _ in range(count)]


def requests(name: str, count: int) -> list[dict]:
    if name == "minilm-l6":
        return [{"texts": [text]} for text in sentences(count)]
    features = synthetic_labeling(count, seed=3)[0] if name == "labeling-quality" else synthetic_items(count, seed=3)[0]
    return [{"features": [row.tolist()]} for row in features]


def measure(model, inputs: list[dict], batch: int | None) -> tuple[float, list[float]]:
    """Seconds for all requests and each request's latency; ``batch=None`` is one by one (no stacking)."""
    latencies, start = [], time.perf_counter()
    step = batch or 1
    for first in range(0, len(inputs), step):
        began = time.perf_counter()
        chunk = inputs[first:first + step]
        model.run_batch([model.validate(item) for item in chunk])
        latencies.extend([time.perf_counter() - began] * len(chunk))
    return time.perf_counter() - start, latencies


def models(folder: Path, wanted: list[str]) -> dict[str, Path]:
    """The benchmarked models' files, building the project's own when missing."""
    found = {}
    for name, file, build in (("labeling-quality", MODEL_FILE, build_quality_model),
                              ("review-triage", TRIAGE_FILE, build_triage_model),
                              ("minilm-l6", MINILM_FILE, None)):  # fmt: skip
        if name not in wanted:
            continue
        path = folder / file
        if not path.exists() and build is not None:
            print(f"building {path} ...", flush=True)
            build(folder)
        if path.exists():
            found[name] = path
        else:
            print(f"{name}: {path} not found, skipped (make models-minilm builds it)")
    return found


def bench(name: str, path: Path, count: int, repeat: int, threads: int) -> float:
    """Print one model's table; returns its batch-64 speedup. The modes take turns ``repeat`` times
    and each keeps its fastest run: the machine is shared, and a burst of its neighbours' work then
    slows one round of every mode rather than all runs of one."""
    model = load_model(str(path), file_sha256(path), tuple(default_providers()), threads)
    inputs = requests(name, count)
    measure(model, inputs[:256], 64)  # warm up
    modes = [("one by one", None)] + [(f"batch {size}", size) for size in BATCHES]
    fastest: dict[str, tuple[float, list[float]]] = {}
    for _ in range(repeat):
        for mode, batch in modes:
            run = measure(model, inputs, batch)
            if mode not in fastest or run[0] < fastest[mode][0]:
                fastest[mode] = run
    rows = [(mode, *fastest[mode]) for mode, _ in modes]
    base = count / rows[0][1]
    print(f"\n{name} ({path.stat().st_size / 2**20:.1f} MB, {model.kind}): {count} one-{'text' if model.kind != 'tabular' else 'row'} "
          f"requests on {model.provider}, {threads or 'default'} threads, best of {repeat} runs per mode")  # fmt: skip
    print(f"{'mode':<12} {'requests/s':>12} {'p50 ms':>9} {'p99 ms':>9} {'speedup':>8}")
    speedups = {}
    for mode, seconds, latencies in rows:
        rate = count / seconds
        speedups[mode] = rate / base
        p50, p99 = np.percentile(latencies, [50, 99]) * 1000
        print(f"{mode:<12} {rate:>12,.0f} {p50:>9.3f} {p99:>9.3f} {rate / base:>7.1f}x")
    return speedups["batch 64"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=None, help="requests per mode (default: 4096, 1024 heavy models)")
    parser.add_argument("--model", action="append", choices=["labeling-quality", "review-triage", "minilm-l6"],
                        help="benchmark only these (repeatable; default all that are built)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode, the fastest counts (default 3)")
    parser.add_argument("--threads", type=int, default=1,
                        help="onnxruntime intra-op threads (default 1; 0: one per core, onnxruntime's default)")  # fmt: skip
    args = parser.parse_args()
    found = models(get_settings().data_dir / "models", args.model or ["labeling-quality", "review-triage", "minilm-l6"])
    speedups = {}
    for name, path in found.items():
        count = args.requests or {"labeling-quality": 4096, "review-triage": 1024}.get(name, 512)
        speedups[name] = bench(name, path, count, args.repeat, args.threads)
    load, cores = os.getloadavg()[0], os.cpu_count()
    busy = ": more than the cores, so neighbours' work is in every figure" if load > cores else ""
    print(f"\ntarget: batch 64 >= {TARGET:.0f}x one by one, on this CPU ({cores} cores, load average {load:.1f} "
          f"over the last minute{busy})")  # fmt: skip
    print(f"{'model':<18} {'batch 64':>9} {'target':>7}  result")
    for name, speedup in speedups.items():
        print(f"{name:<18} {speedup:>8.1f}x {TARGET:>6.0f}x  {'PASS' if speedup >= TARGET else 'FAIL'}"
              f"{'  (the throughput model)' if name == THROUGHPUT_MODEL else ''}")  # fmt: skip
    if THROUGHPUT_MODEL not in speedups:
        return 0
    return 0 if speedups[THROUGHPUT_MODEL] >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
