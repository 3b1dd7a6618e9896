"""Space settings of off-chain polls, from a YAML or JSON file shaped like Snapshot's space settings.

```yaml
id: sahara.eth                  # the space's id (Snapshot's ENS name)
name: Sahara DAO
network: 31337                  # main chain id: a proposal's signed `snapshot` is a block of it
chains: [31337, 31338]          # chains whose SAHARA counts (ethereum and bsc)
symbol: SAHARA
admins: []                      # may always propose
members: []                     # may propose when filters.onlyMembers is true
strategies:                     # see governance/strategies.py
  - {name: erc20-balance-of, weight: 1}
  - {name: delegation, weight: 1}
  - {name: staked-sahara, weight: 1}
  - {name: receipt-holders, weight: 1, params: {mode: share, amount: 1000}}
voting:
  type: ranked-choice           # every proposal must use it; leave out to allow any type
  delay: 0                      # seconds (or 1h, 2d ...) from a proposal's timestamp to its start, at least
  period: 3d                    # end - start, exactly (leave out for any)
  quorum: 0                     # SAHARA of voting power for a result to pass
validation: {name: basic, params: {minScore: 1000}}   # proposer's power at the snapshot; or {name: any}
filters: {onlyMembers: false}
```

Amounts (``quorum``, ``minScore``) are SAHARA as integers or decimal strings, kept in base units.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sahara_dao.core.config_files import read_yaml
from sahara_dao.core.errors import ConfigError
from sahara_dao.core.units import to_base_units, to_seconds
from sahara_dao.governance.strategies import Strategy, checksum, parse_strategies
from sahara_dao.governance.voting import VOTING_TYPES

_SPACE_ID = re.compile(r"^[a-z0-9][a-z0-9.\-_]{0,63}$")
_KEYS = {"id", "name", "network", "chains", "symbol", "admins", "members", "strategies", "voting", "validation",
         "filters"}  # fmt: skip


class SpaceConfigError(ConfigError):
    """A space's settings are invalid."""


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def digest(value: Any) -> str:
    """sha256 (0x hex) of the canonical JSON of ``value``."""
    return "0x" + hashlib.sha256(canonical_json(value).encode()).hexdigest()


@dataclass(frozen=True)
class SpaceSettings:
    """Validated settings of one space; ``raw`` is what was given (stored verbatim)."""

    id: str
    name: str
    network: int
    chains: tuple[int, ...]
    symbol: str
    admins: frozenset[str]
    members: frozenset[str]
    strategies: tuple[Strategy, ...]
    voting_type: str | None
    voting_delay: int
    voting_period: int | None
    quorum: int
    min_score: int | None  # None: any address may propose (validation `any`)
    only_members: bool
    raw: Mapping[str, Any]

    @property
    def sources(self) -> set[str]:
        return set().union(*(s.sources for s in self.strategies))

    @property
    def digest(self) -> str:
        return digest(self.raw)

    @classmethod
    def parse(cls, raw: Any, where: str = "space settings") -> SpaceSettings:
        if not isinstance(raw, Mapping):
            raise SpaceConfigError(f"{where}: expected a mapping with id, network, chains and strategies")
        if unknown := set(raw) - _KEYS:
            raise SpaceConfigError(
                f"{where}: unknown keys {', '.join(sorted(unknown))}; use {', '.join(sorted(_KEYS))}"
            )
        space_id = raw.get("id")
        if not isinstance(space_id, str) or not _SPACE_ID.match(space_id):
            raise SpaceConfigError(
                f"{where}: id {space_id!r} must be lowercase letters, digits, . - _ (like sahara.eth)"
            )
        network = _chain_id(raw.get("network"), f"{where}: network")
        chains = tuple(_chain_id(c, f"{where}: chains") for c in raw.get("chains") or [network])
        if network not in chains:
            raise SpaceConfigError(
                f"{where}: the main chain {network} (network) must be one of chains {list(chains)}"
            )
        voting = raw.get("voting") or {}
        if not isinstance(voting, Mapping) or set(voting) - {"type", "delay", "period", "quorum", "privacy"}:
            raise SpaceConfigError(f"{where}: voting takes type, delay, period and quorum")
        voting_type = voting.get("type") or None
        if voting_type is not None and voting_type not in VOTING_TYPES:
            raise SpaceConfigError(
                f"{where}: voting.type {voting_type!r} is not one of {', '.join(VOTING_TYPES)}"
            )
        validation = raw.get("validation") or {"name": "any"}
        if validation.get("name") == "basic":
            min_score = to_base_units(
                (validation.get("params") or {}).get("minScore", 0), f"{where}: validation minScore"
            )
        elif validation.get("name") == "any":
            min_score = None
        else:
            raise SpaceConfigError(f"{where}: validation name is 'basic' (with params.minScore) or 'any'")
        members = frozenset(checksum(a, f"{where}: member") for a in raw.get("members") or [])
        return cls(
            id=space_id, name=str(raw.get("name") or space_id), network=network, chains=chains,
            symbol=str(raw.get("symbol") or "SAHARA"),
            admins=frozenset(checksum(a, f"{where}: admin") for a in raw.get("admins") or []), members=members,
            strategies=tuple(parse_strategies(raw.get("strategies"), f"{where}: strategies")),
            voting_type=voting_type, voting_delay=to_seconds(voting.get("delay", 0), f"{where}: voting.delay"),
            voting_period=to_seconds(voting["period"], f"{where}: voting.period") if voting.get("period") else None,
            quorum=to_base_units(voting.get("quorum", 0), f"{where}: voting.quorum"), min_score=min_score,
            only_members=bool((raw.get("filters") or {}).get("onlyMembers", False)), raw=json.loads(canonical_json(raw)),
        )  # fmt: skip


def _chain_id(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SpaceConfigError(f"{what}: {value!r} is not a chain id (a positive integer such as 31337)")
    return value


SPACE_FILE = Path(__file__).resolve().parent / "space.yaml"
"""The Sahara DAO's space (local chain ids)."""


def load_space_file(path: Path = SPACE_FILE, **overrides: Any) -> SpaceSettings:
    """Settings from a YAML or JSON file (JSON is YAML); ``overrides`` replace top-level keys
    (``network=..., chains=[...]`` for the chain ids of a deployment)."""
    raw = read_yaml(path, "space settings", "pass the path of a YAML or JSON space file", SpaceConfigError)
    if not isinstance(raw, Mapping):
        raise SpaceConfigError(f"{path}: expected a mapping with id, network, chains and strategies")
    return SpaceSettings.parse({**raw, **overrides}, str(path))
