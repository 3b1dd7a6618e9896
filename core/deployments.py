"""Deployed addresses, recorded per chain id in ``<data_dir>/deployments/<chain_id>.json``.

A record is written after every step, so a deployment cut short is recorded as ``partial`` and the
next run resumes it instead of deploying twice.
"""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

PARTIAL = "partial"
COMPLETE = "complete"


@dataclass
class Deployment:
    chain_id: int
    network: str
    deployer: str
    config_digest: str
    genesis_time: int
    status: str = PARTIAL
    contracts: dict[str, str] = field(default_factory=dict)  # step name -> address
    steps: list[str] = field(default_factory=list)  # wiring steps done, in order

    def address(self, name: str) -> str:
        return self.contracts[name]


class DeploymentStore:
    """Reads and writes deployment records; writes are atomic (temporary file, then rename)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def path(self, chain_id: int) -> Path:
        return self.directory / f"{chain_id}.json"

    def load(self, chain_id: int) -> Deployment | None:
        path = self.path(chain_id)
        if not path.exists():
            return None
        return Deployment(**json.loads(path.read_text()))

    def save(self, deployment: Deployment) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(deployment.chain_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(deployment), indent=2) + "\n")
        os.replace(tmp, path)

    def archive(self, chain_id: int) -> Path:
        """Move a record aside (its chain was reset); returns where it went."""
        path = self.path(chain_id)
        number = 1
        while (target := path.with_name(f"{chain_id}.stale-{number}.json")).exists():
            number += 1
        os.replace(path, target)
        return target
