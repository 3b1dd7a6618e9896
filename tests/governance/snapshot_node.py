"""snapshot.js and ethers v5 through Node for the governance tests, and the development keys they sign with."""

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT_JS = Path(__file__).with_name("snapshot_js.js")

# The first accounts of the well-known development mnemonic ("test test ... junk"): local chains only.
DEV_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
]
DEV_ADDRESSES = [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
]


def run_snapshot_js(op: str, items: list):
    """One request to tests/governance/snapshot_js.js (ops: sign, verify, hash, stringify; see its
    header), run from the repository root so that ``require('@snapshot-labs/snapshot.js')`` resolves."""
    out = subprocess.run(
        ["node", str(SNAPSHOT_JS)], input=json.dumps({"op": op, "items": items}), cwd=ROOT,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)
