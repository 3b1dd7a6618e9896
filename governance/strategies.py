"""Voting power of off-chain polls, computed from the indexed database (never one RPC call per voter).

Each space lists strategies (Snapshot's word) with a weight. A strategy gives every address a power
on every chain of the space, read from the events the indexer stored in ``chain_event`` (and the
``receipt`` table derived from them) at that chain's snapshot block:

| strategy           | power of an address on one chain, at the snapshot block                       |
|--------------------|--------------------------------------------------------------------------------|
| ``erc20-balance-of`` | its SAHARA balance: the sum of the token's ``Transfer`` events to and from it  |
| ``delegation``       | Snapshot's ``delegation``: the power, under the sub-strategies ``params.strategies`` (default ``[erc20-balance-of]``), of every account that delegated its SAHARA votes to it on-chain (the token's latest ``DelegateChanged``) **and did not vote itself**. Self-delegation adds nothing (the balance strategy counts it), and the staking contract's delegation surrogates are never delegators (their tokens are the stakers', counted by ``staked-sahara``). |
| ``staked-sahara``    | the SAHARA it staked in SaharaStaking (``Staked`` less ``Withdrawn``): unbonding tokens keep voting, as they do on-chain, unless ``params.include_unbonding`` is false |
| ``receipt-holders``  | contributors' voice: ``params.amount`` SAHARA-equivalent (default 1000) per full receipt share, i.e. ``amount * share_bps / 10000`` summed over the receipts it holds (``params.mode: share``, the default), or ``amount`` per receipt (``mode: count``) |

The power of one strategy on one chain is ``floor(raw * weight)`` in base units (the weight is an
exact decimal, e.g. ``"0.5"``); an address's voting power is the sum over strategies and chains, and
every figure keeps its per-strategy and per-chain cells. Everything here is an integer of base
units; the floats that snapshot.js's voting classes take (``balance``, ``scores``: SAHARA =
base units / 1e18) are made only at the scoring boundary (:func:`to_float`).

A snapshot is one block per chain. A proposal's signed ``snapshot`` is a block of the space's main
chain (``network``, as on Snapshot); every other chain takes the last block at or before that
block's time (:func:`resolve_snapshot`), unless the proposer gives its block explicitly. A block the
indexer has not reached on a chain is refused: run ``sahara index`` for that chain first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from sahara_dao.core.errors import ConfigError
from sahara_dao.core.models import Chain, ChainEvent, IndexerCheckpoint
from sahara_dao.core.units import UNIT, to_base_units
from sahara_dao.governance.errors import GovernanceError
from sahara_dao.token.claims import checksum_address
from sahara_dao.token.models import Receipt

BALANCE, DELEGATION, STAKED, RECEIPTS = "erc20-balance-of", "delegation", "staked-sahara", "receipt-holders"
STRATEGIES = (BALANCE, DELEGATION, STAKED, RECEIPTS)
SOURCES = {BALANCE: "token", DELEGATION: "token", STAKED: "staking", RECEIPTS: "registry"}
"""The deployment whose indexed events each strategy reads (its checkpoint must reach the snapshot)."""
FULL_SHARE_BPS = 10_000
DEFAULT_RECEIPT_AMOUNT = 1000  # SAHARA-equivalent per full receipt share


class StrategyError(GovernanceError, ValueError):
    """A strategy's configuration is invalid, or voting power cannot be computed at a snapshot."""


class NotIndexedError(StrategyError):
    """The indexer has not reached the snapshot block on a chain."""


# --- configuration ---------------------------------------------------------------------------------


def _weight(value: Any, what: str) -> Fraction:
    if isinstance(value, bool) or isinstance(value, float):
        raise ConfigError(f"{what}: write the weight {value!r} as an integer or a quoted decimal string")
    try:
        weight = Fraction(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        raise ConfigError(f"{what}: {value!r} is not a decimal number") from None
    if weight < 0:
        raise ConfigError(f"{what}: a weight must not be negative, not {value!r}")
    return weight


@dataclass(frozen=True)
class Strategy:
    """One strategy of a space: its name, exact weight and parameters (validated)."""

    name: str
    weight: Fraction = Fraction(1)
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Mapping[str, Any], what: str) -> Strategy:
        if not isinstance(raw, Mapping) or "name" not in raw:
            raise ConfigError(f"{what}: a strategy is a mapping with a name (one of {', '.join(STRATEGIES)})")
        name = raw["name"]
        if name not in STRATEGIES:
            raise ConfigError(f"{what}: unknown strategy {name!r}; use one of {', '.join(STRATEGIES)}")
        params = dict(raw.get("params") or {})
        strategy = cls(name, _weight(raw.get("weight", 1), f"{what} ({name}) weight"), params)
        strategy.check(what)
        return strategy

    def check(self, what: str) -> None:
        params = self.params
        allowed = {
            BALANCE: set(), STAKED: {"include_unbonding"}, DELEGATION: {"strategies"}, RECEIPTS: {"mode", "amount"},
        }[self.name]  # fmt: skip
        if unknown := set(params) - allowed:
            raise ConfigError(
                f"{what} ({self.name}): unknown params {', '.join(sorted(unknown))}; "
                f"it takes {', '.join(sorted(allowed)) or 'none'}"
            )
        if self.name == DELEGATION:
            for sub in self.sub_strategies:
                if sub not in (BALANCE, STAKED, RECEIPTS):
                    raise ConfigError(
                        f"{what} (delegation): params.strategies lists {sub!r}; use {BALANCE}, {STAKED} or {RECEIPTS}"
                    )
        if self.name == RECEIPTS:
            if params.get("mode", "share") not in ("share", "count"):
                raise ConfigError(
                    f"{what} (receipt-holders): mode is 'share' or 'count', not {params['mode']!r}"
                )
            self.receipt_amount(what)
        if self.name == STAKED and not isinstance(params.get("include_unbonding", True), bool):
            raise ConfigError(f"{what} (staked-sahara): include_unbonding is true or false")

    @property
    def sub_strategies(self) -> tuple[str, ...]:
        return tuple(self.params.get("strategies") or (BALANCE,))

    def receipt_amount(self, what: str = "receipt-holders") -> int:
        return to_base_units(self.params.get("amount", DEFAULT_RECEIPT_AMOUNT), f"{what} amount")

    @property
    def sources(self) -> set[str]:
        if self.name != DELEGATION:
            return {SOURCES[self.name]}
        # the staking contract's surrogates delegate too: they must be known to be left out
        return {SOURCES[DELEGATION], "staking"} | {SOURCES[sub] for sub in self.sub_strategies}

    def as_dict(self) -> dict[str, Any]:
        weight = (
            self.weight.numerator
            if self.weight.denominator == 1
            else str(Decimal(self.weight.numerator) / self.weight.denominator)
        )
        return {"name": self.name, "weight": weight, "params": dict(self.params)}

    def weighted(self, raw: int) -> int:
        return raw * self.weight.numerator // self.weight.denominator


def parse_strategies(raw: Any, what: str = "strategies") -> list[Strategy]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{what}: list at least one strategy (one of {', '.join(STRATEGIES)})")
    if len(raw) > 8:
        raise ConfigError(f"{what}: at most 8 strategies (Snapshot's limit), not {len(raw)}")
    return [Strategy.parse(item, f"{what}[{i}]") for i, item in enumerate(raw)]


def checksum(address: str, what: str = "address") -> str:
    """EIP-55 form of ``address`` (cached); a :class:`StrategyError` when it is not one."""
    try:
        return checksum_address(address)
    except (ValueError, TypeError):
        raise StrategyError(f"{what} {address!r} is not an address (0x and 40 hex digits)") from None


# --- the state of one chain at its snapshot block ----------------------------------------------------


@dataclass
class ChainState:
    """What the strategies read on one chain at one block, from indexed rows."""

    chain_id: int
    block: int
    balances: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    delegates: dict[str, str] = field(default_factory=dict)  # delegator -> delegatee (latest)
    surrogates: set[str] = field(default_factory=set)  # the staking contract's delegation surrogates
    staked: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # earning stake
    unbonding: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # requested, not withdrawn
    receipts: dict[str, list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )  # contributor -> share_bps

    def raw(self, strategy: Strategy, address: str, name: str | None = None) -> int:
        """Unweighted power of ``address`` under ``name`` (default: the strategy's own), delegation excepted."""
        name = name or strategy.name
        if name == BALANCE:
            return self.balances.get(address, 0)
        if name == STAKED:
            include = strategy.params.get("include_unbonding", True) if strategy.name == STAKED else True
            return self.staked.get(address, 0) + (self.unbonding.get(address, 0) if include else 0)
        if name == RECEIPTS:
            shares = self.receipts.get(address, ())
            if strategy.params.get("mode", "share") == "count":
                return strategy.receipt_amount() * len(shares)
            return sum(strategy.receipt_amount() * bps // FULL_SHARE_BPS for bps in shares)
        raise StrategyError(f"no direct power for strategy {name}")

    def delegated_to(self) -> dict[str, list[str]]:
        """delegatee -> the accounts delegating to it (self-delegation and surrogates left out)."""
        by_delegatee: dict[str, list[str]] = defaultdict(list)
        for delegator, delegatee in self.delegates.items():
            if delegator != delegatee and delegator not in self.surrogates:
                by_delegatee[delegatee].append(delegator)
        return by_delegatee


def _events(session: Session, chain_id: int, block: int, contract: str, names: Sequence[str]):
    return session.exec(
        select(ChainEvent.event, ChainEvent.args)
        .where(ChainEvent.chain_id == chain_id, ChainEvent.contract == contract, ChainEvent.event.in_(names),
               ChainEvent.block_number <= block)
        .order_by(ChainEvent.block_number, ChainEvent.log_index)
    )  # fmt: skip


def load_chain_state(session: Session, chain_id: int, block: int, sources: Iterable[str]) -> ChainState:
    """The balances, delegations, stakes and receipts of ``chain_id`` at ``block`` (only the
    ``sources`` deployments are read: token, staking, registry)."""
    sources = set(sources)
    state = ChainState(chain_id, block)
    if "token" in sources:
        for name, args in _events(session, chain_id, block, "token", ("Transfer", "DelegateChanged")):
            if name == "Transfer":
                value = int(args["value"])
                state.balances[args["from"]] -= value
                state.balances[args["to"]] += value
            else:
                state.delegates[args["delegator"]] = args["toDelegate"]
        state.balances.pop("0x" + "00" * 20, None)  # the mint/burn counterpart
    if "staking" in sources:
        names = ("Staked", "UnstakeRequested", "Withdrawn", "SurrogateDeployed")
        for name, args in _events(session, chain_id, block, "staking", names):
            if name == "SurrogateDeployed":
                state.surrogates.add(args["surrogate"])
            elif name == "Staked":
                state.staked[args["account"]] += int(args["amount"])
            elif name == "UnstakeRequested":
                state.staked[args["account"]] -= int(args["amount"])
                state.unbonding[args["account"]] += int(args["amount"])
            else:
                state.unbonding[args["account"]] -= int(args["amount"])
    if "registry" in sources:
        rows = session.exec(
            select(Receipt.contributor, Receipt.share_bps)
            .join(ChainEvent, ChainEvent.id == Receipt.event_id)
            .where(Receipt.chain_id == chain_id, ChainEvent.block_number <= block)
        )  # fmt: skip
        for contributor, share_bps in rows:
            state.receipts[contributor].append(share_bps)
    return state


# --- voting power ---------------------------------------------------------------------------------------


@dataclass
class VotingPower:
    """One address's power: base units per (strategy index, chain id), with its sums."""

    address: str
    cells: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    def by_strategy(self, count: int) -> list[int]:
        sums = [0] * count
        for (index, _chain), value in self.cells.items():
            sums[index] += value
        return sums

    def by_chain(self) -> dict[int, int]:
        sums: dict[int, int] = defaultdict(int)
        for (_index, chain_id), value in self.cells.items():
            sums[chain_id] += value
        return dict(sorted(sums.items()))


def voting_power(
    states: Sequence[ChainState],
    strategies: Sequence[Strategy],
    addresses: Iterable[str],
    voters: Iterable[str],
) -> dict[str, VotingPower]:
    """The power of every address in ``addresses``; ``voters`` are the addresses that voted, whose own
    power the ``delegation`` strategy never passes on to their delegatee (Snapshot's semantics)."""
    addresses = [checksum(a) for a in addresses]
    voted = {checksum(v) for v in voters}
    powers = {a: VotingPower(a) for a in addresses}
    for state in states:
        delegators = state.delegated_to() if any(s.name == DELEGATION for s in strategies) else {}
        for index, strategy in enumerate(strategies):
            for address in addresses:
                if strategy.name == DELEGATION:
                    raw = sum(
                        state.raw(strategy, delegator, sub)
                        for delegator in delegators.get(address, ())
                        if delegator not in voted
                        for sub in strategy.sub_strategies
                    )
                else:
                    raw = state.raw(strategy, address)
                powers[address].cells[(index, state.chain_id)] = strategy.weighted(raw)
    return powers


def to_float(base_units: int) -> float:
    """Base units as the float SAHARA amount snapshot.js's voting classes take (the only float)."""
    return base_units / UNIT


# --- snapshots --------------------------------------------------------------------------------------------


def _chain_label(session: Session, chain_id: int) -> str:
    row = session.get(Chain, chain_id)
    return f"chain {chain_id} ({row.ecosystem}:{row.network})" if row else f"chain {chain_id}"


def _index_hint(session: Session, chain_id: int) -> str:
    row = session.get(Chain, chain_id)
    network = (
        f"{row.ecosystem}:{row.network}:{'foundry' if row.network == 'local' else 'node'}"
        if row
        else "ECOSYSTEM:NETWORK:PROVIDER"
    )
    return f"run `sahara index --network {network}`"


def check_indexed(session: Session, chain_id: int, block: int, sources: Iterable[str]) -> None:
    """Refuse ``block`` on ``chain_id`` unless every deployment in ``sources`` is indexed through it."""
    for contract in sorted(set(sources)):
        row = session.get(IndexerCheckpoint, (chain_id, contract))
        if row is None:
            raise NotIndexedError(
                f"{_chain_label(session, chain_id)} has no index of its {contract} contract, so voting power "
                f"at block {block} is unknown: {_index_hint(session, chain_id)} first"
            )
        if row.block_number < block:
            raise NotIndexedError(
                f"the index of {_chain_label(session, chain_id)} ({contract}) stops at block {row.block_number}, "
                f"before the snapshot block {block}: {_index_hint(session, chain_id)} (after block {block} is mined)"
            )


def block_time(session: Session, chain_id: int, block: int) -> int | None:
    """The timestamp of ``block`` if an indexed event sits in it, else None."""
    return session.exec(
        select(ChainEvent.block_timestamp).where(ChainEvent.chain_id == chain_id, ChainEvent.block_number == block).limit(1)
    ).first()  # fmt: skip


def node_block_time(session: Session, chain_id: int, block: int) -> int | None:
    """The timestamp of ``block`` asked of the chain's node (one call), or None if no node answers."""
    from sahara_dao.core.settings import get_settings

    settings = get_settings()
    uris = [f"http://127.0.0.1:{c.port}" for c in settings.local_chains.values() if c.chain_id == chain_id]
    row = session.get(Chain, chain_id)
    if row is not None and (uri := settings.rpc_uris.get(f"{row.ecosystem}:{row.network}")):
        uris.append(uri)
    for uri in uris:
        try:
            from web3 import HTTPProvider, Web3

            web3 = Web3(HTTPProvider(uri, request_kwargs={"timeout": 5}))
            if web3.eth.chain_id != chain_id:
                continue
            return int(web3.eth.get_block(block)["timestamp"])
        except Exception:  # noqa: BLE001 - an unreachable node or a missing block: try the next, then say so
            continue
    return None


def resolve_snapshot(
    session: Session, *, network: int, block: int, chains: Sequence[int], sources: Iterable[str],
    explicit: Mapping[int, int] | None = None,
) -> tuple[dict[int, int], int | None]:  # fmt: skip
    """Snapshot blocks per chain for a proposal whose signed ``snapshot`` is ``block`` on the main
    chain ``network``, and the snapshot time (None when every block was given).

    A chain in ``explicit`` takes its given block. Every other chain takes the last block, as far as
    its index tells, at or before the time of the main block: the highest indexed block of that chain
    with a timestamp at or before it (a later block without events has the same state). That chain's
    index must reach the time: its checkpoint's block must be at or after it. Block times come from
    indexed events, else from the chain's node (one call each); each block is checked indexed.
    """
    sources = set(sources)
    explicit = dict(explicit or {})
    blocks = {network: block, **{c: b for c, b in explicit.items() if c != network}}
    check_indexed(session, network, block, sources)
    moment = None
    for chain_id in chains:
        if chain_id in blocks:
            check_indexed(session, chain_id, blocks[chain_id], sources)
            continue
        if moment is None:
            moment = _time(session, network, block)
        for contract in sources:
            checkpoint = session.get(IndexerCheckpoint, (chain_id, contract))
            if checkpoint is None:
                check_indexed(session, chain_id, 0, {contract})
            if _time(session, chain_id, checkpoint.block_number) < moment:
                raise NotIndexedError(
                    f"the index of {_chain_label(session, chain_id)} ({contract}) stops at block "
                    f"{checkpoint.block_number}, before the snapshot time {moment}: {_index_hint(session, chain_id)}"
                )
        last = session.exec(
            select(func.max(ChainEvent.block_number))
            .where(ChainEvent.chain_id == chain_id, ChainEvent.block_timestamp <= moment)
        ).one()  # fmt: skip
        blocks[chain_id] = int(last or 0)
    return dict(sorted(blocks.items())), moment


def _time(session: Session, chain_id: int, block: int) -> int:
    moment = block_time(session, chain_id, block)
    if moment is None:
        moment = node_block_time(session, chain_id, block)
    if moment is None:
        raise StrategyError(
            f"the time of block {block} of {_chain_label(session, chain_id)} is not in the index and its node does "
            f"not answer: start the node (`sahara node start`), or give that chain's snapshot block explicitly"
        )
    return moment


def snapshot_states(
    session: Session, blocks: Mapping[int, int], strategies: Sequence[Strategy]
) -> list[ChainState]:
    """The state of every chain at its snapshot block, each refused unless indexed through it."""
    sources = set().union(*(s.sources for s in strategies))
    states = []
    for chain_id, block in sorted(blocks.items()):
        check_indexed(session, chain_id, block, sources)
        states.append(load_chain_state(session, chain_id, block, sources))
    return states
