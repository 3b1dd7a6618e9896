"""Run a node script of the benchmarks on a JSON payload, with a progress line while node works.

The payload goes once to a temporary file (node reads it before timing anything), the script
answers one JSON object on stdout. Used by bench/merkle.py and bench/tally.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRESS_EVERY = 30  # seconds between "still running" lines while node works


def run_node_on_json(script: Path, payload: object, what: str) -> dict:
    """The JSON answer of ``node SCRIPT PAYLOAD.json``, run from the repository root (so that
    require finds node_modules); exits with node's error output if it fails on ``what``."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(payload, file)
    path = Path(file.name)
    try:
        command = ["node", "--max-old-space-size=16384", str(script), str(path)]
        node = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started = time.monotonic()
        while True:
            try:
                out, err = node.communicate(timeout=PROGRESS_EVERY)
                break
            except subprocess.TimeoutExpired:
                print(f"    ... node still running ({time.monotonic() - started:.0f} s)", flush=True)
    finally:
        path.unlink(missing_ok=True)
    if node.returncode != 0:
        sys.exit(f"node failed on {what}:\n{err}")
    return json.loads(out)
