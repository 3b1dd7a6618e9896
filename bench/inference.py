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

``--provider both`` on a machine with onnxruntime-gpu and an NVIDIA GPU runs every model on CUDA
and on the CPU in one run and prints them side by side, with the GPU's utilisation sampled by
``nvidia-smi`` while the CUDA runs last. The project never needs a GPU: ``auto`` (the default) takes
what ``inference.providers`` picks, the CPU here.

``python bench/inference.py [--requests N] [--model NAME ...] [--provider auto|cpu|gpu|both]``
"""

import argparse
import os
import shutil
import subprocess
import sys
import threading
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
from sahara_dao.inference.providers import CPU, CUDA, default_providers
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


class GpuSampler:
    """``nvidia-smi`` sampling the GPU's utilisation (%) every 100 ms while a ``with`` block runs."""

    def __init__(self):
        self.samples: list[int] = []
        self._process = None

    def __enter__(self):
        if shutil.which("nvidia-smi"):
            self._process = subprocess.Popen(
                ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits", "-lms", "100"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # fmt: skip
            threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self):
        for line in self._process.stdout:
            if line.strip().isdigit():
                self.samples.append(int(line))

    def __exit__(self, *exc):
        if self._process:
            self._process.terminate()
            self._process.wait()

    def describe(self) -> str:
        if not self.samples:
            return "GPU utilisation: not read (no nvidia-smi)"
        return f"GPU utilisation while the CUDA runs lasted: mean {np.mean(self.samples):.0f}%, max {max(self.samples)}%"


def provider_sets(choice: str) -> dict[str, tuple[str, ...]]:
    """Label -> the providers to ask onnxruntime for; ``gpu``/``both`` refuse when CUDA cannot run."""
    import onnxruntime

    if choice == "auto":
        return {"auto": tuple(default_providers())}
    if choice == "cpu":
        return {"cpu": (CPU,)}
    if CUDA not in onnxruntime.get_available_providers():
        raise SystemExit("--provider gpu/both needs onnxruntime-gpu (pip install onnxruntime-gpu in place of "
                         "onnxruntime) and a visible NVIDIA GPU; this machine has "
                         + ", ".join(onnxruntime.get_available_providers()))  # fmt: skip
    return {"gpu": (CUDA, CPU), "cpu": (CPU,)} if choice == "both" else {"gpu": (CUDA, CPU)}


def bench(name: str, path: Path, count: int, repeat: int, threads: int, providers: tuple[str, ...]) -> dict[str, float]:
    """Print one model's table; returns requests/s per mode. The modes take turns ``repeat`` times
    and each keeps its fastest run: the machine is shared, and a burst of its neighbours' work then
    slows one round of every mode rather than all runs of one."""
    model = load_model(str(path), file_sha256(path), providers, threads)
    if CUDA in providers and model.provider != CUDA:
        raise SystemExit(f"{name}: onnxruntime put the session on {model.provider}, not CUDA: check the CUDA libraries")
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
    rates = {}
    for mode, seconds, latencies in rows:
        rates[mode] = rate = count / seconds
        p50, p99 = np.percentile(latencies, [50, 99]) * 1000
        print(f"{mode:<12} {rate:>12,.0f} {p50:>9.3f} {p99:>9.3f} {rate / base:>7.1f}x")
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=None, help="requests per mode (default: 4096, 1024 heavy models)")
    parser.add_argument("--model", action="append", choices=["labeling-quality", "review-triage", "minilm-l6"],
                        help="benchmark only these (repeatable; default all that are built)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode, the fastest counts (default 3)")
    parser.add_argument("--threads", type=int, default=1,
                        help="onnxruntime intra-op threads (default 1; 0: one per core, onnxruntime's default)")  # fmt: skip
    parser.add_argument("--provider", choices=["auto", "cpu", "gpu", "both"], default="auto",
                        help="auto (default): what the service would pick; both: CUDA and CPU side by side")  # fmt: skip
    args = parser.parse_args()
    sets = provider_sets(args.provider)
    found = models(get_settings().data_dir / "models", args.model or ["labeling-quality", "review-triage", "minilm-l6"])
    rates: dict[tuple[str, str], dict[str, float]] = {}
    sampler = GpuSampler()
    for name, path in found.items():
        count = args.requests or {"labeling-quality": 4096, "review-triage": 1024}.get(name, 512)
        for label, providers in sets.items():
            if CUDA in providers:
                with sampler:
                    rates[(name, label)] = bench(name, path, count, args.repeat, args.threads, providers)
            else:
                rates[(name, label)] = bench(name, path, count, args.repeat, args.threads, providers)
    load, cores = os.getloadavg()[0], os.cpu_count()
    busy = ": more than the cores, so neighbours' work is in every figure" if load > cores else ""
    print(f"\ntarget: batch 64 >= {TARGET:.0f}x one by one, on this CPU ({cores} cores, load average {load:.1f} "
          f"over the last minute{busy})")  # fmt: skip
    print(f"{'model':<18} {'providers':<9} {'batch 64':>9} {'target':>7}  result")
    speedups = {}
    for (name, label), modes in rates.items():
        speedups[(name, label)] = speedup = modes["batch 64"] / modes["one by one"]
        print(f"{name:<18} {label:<9} {speedup:>8.1f}x {TARGET:>6.0f}x  {'PASS' if speedup >= TARGET else 'FAIL'}"
              f"{'  (the throughput model)' if name == THROUGHPUT_MODEL else ''}")  # fmt: skip
    if "gpu" in sets and "cpu" in sets:
        print(f"\nCUDA vs CPU, requests/s in the same run ({sampler.describe()})")
        print(f"{'model':<18} {'mode':<12} {'CPU':>12} {'CUDA':>12} {'CUDA/CPU':>9}")
        for name in found:
            for mode, rate in rates[(name, "cpu")].items():
                gpu = rates[(name, "gpu")][mode]
                print(f"{name:<18} {mode:<12} {rate:>12,.0f} {gpu:>12,.0f} {gpu / rate:>8.1f}x")
    verdicts = [speedup >= TARGET for (name, label), speedup in speedups.items() if name == THROUGHPUT_MODEL]
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
