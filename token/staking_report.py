"""Staking as the indexer saw it (SaharaStaking's events in ``chain_event``): total staked and
unbonding over time, the reward rate, the unbonding queue and one account's position.

``Staked`` adds to an account's stake, ``UnstakeRequested`` moves an amount from its stake into its
unbonding entry (one per account, unlocking at the last request's ``unlockTime``), ``Withdrawn``
empties that entry. ``RewardAdded`` sets the emission rate (``rewardRateScaled``: 1e-18 base units a
second) until ``periodFinish``. Amounts are integer base units.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from sqlmodel import Session, select

from sahara_dao.core.models import ChainEvent
from sahara_dao.token.claims import checksum_address

RATE_SCALE = 10**18
YEAR = 365 * 86_400
EVENTS = ("Staked", "UnstakeRequested", "Withdrawn", "RewardPaid", "RewardAdded", "DelegateeChanged", "CooldownChanged")


@dataclass(frozen=True)
class StakePoint:
    chain_id: int
    block_timestamp: int
    block_number: int
    event: str
    staked: int  # total staked after the event
    unbonding: int  # total in unbonding queues after the event


@dataclass
class Position:
    chain_id: int
    account: str
    staked: int = 0
    unbonding: int = 0
    unlock_time: int | None = None
    withdrawn: int = 0
    rewards_paid: int = 0
    delegatee: str | None = None


@dataclass(frozen=True)
class RewardPeriod:
    chain_id: int
    added_at: int
    amount: int
    duration: int
    rate_scaled: int  # 1e-18 base units a second
    period_finish: int

    @property
    def per_day(self) -> int:
        """Base units emitted a day while anything is staked (floored)."""
        return self.rate_scaled * 86_400 // RATE_SCALE


@dataclass
class StakingState:
    chain_id: int
    history: list[StakePoint] = field(default_factory=list)
    positions: dict[str, Position] = field(default_factory=dict)
    rewards: list[RewardPeriod] = field(default_factory=list)
    cooldown: int | None = None

    @property
    def staked(self) -> int:
        return sum(p.staked for p in self.positions.values())

    @property
    def unbonding(self) -> int:
        return sum(p.unbonding for p in self.positions.values())

    def reward_rate(self, as_of: int) -> RewardPeriod | None:
        """The reward period running at ``as_of``, if any."""
        current = self.rewards[-1] if self.rewards else None
        return current if current and current.period_finish > as_of else None

    def apr(self, as_of: int) -> Fraction | None:
        """Yearly rewards over the total staked at the current rate (None: no rate, or nothing staked)."""
        period = self.reward_rate(as_of)
        if period is None or self.staked == 0:
            return None
        return Fraction(period.rate_scaled * YEAR, RATE_SCALE * self.staked)

    def queue(self) -> list[Position]:
        """Accounts with tokens unbonding, the soonest unlock first."""
        return sorted((p for p in self.positions.values() if p.unbonding), key=lambda p: (p.unlock_time or 0, p.account))


def staking_states(*, session: Session, chain_ids: Iterable[int]) -> dict[int, StakingState]:
    """Replay each chain's staking events into its state (``{}`` entries for chains without staking events)."""
    chain_ids = list(chain_ids)
    states = {chain_id: StakingState(chain_id) for chain_id in chain_ids}
    query = (
        select(ChainEvent)
        .where(ChainEvent.chain_id.in_(chain_ids), ChainEvent.contract == "staking", ChainEvent.event.in_(EVENTS))
        .order_by(ChainEvent.chain_id, ChainEvent.block_number, ChainEvent.log_index)
    )
    for e in session.exec(query):
        _apply(states[e.chain_id], e)
    return states


def _apply(state: StakingState, e: ChainEvent) -> None:
    a = e.args
    if e.event == "RewardAdded":
        state.rewards.append(RewardPeriod(e.chain_id, e.block_timestamp, int(a["amount"]), int(a["duration"]),
                                          int(a["rewardRateScaled"]), int(a["periodFinish"])))  # fmt: skip
        return
    if e.event == "CooldownChanged":
        state.cooldown = int(a["newCooldown"])
        return
    account = checksum_address(a["account"])
    p = state.positions.setdefault(account, Position(e.chain_id, account))
    if e.event == "Staked":
        p.staked += int(a["amount"])
        p.delegatee = checksum_address(a["delegatee"])
    elif e.event == "UnstakeRequested":
        p.staked -= int(a["amount"])
        p.unbonding += int(a["amount"])
        p.unlock_time = int(a["unlockTime"])
    elif e.event == "Withdrawn":
        p.unbonding -= int(a["amount"])
        p.withdrawn += int(a["amount"])
        p.unlock_time = None if p.unbonding == 0 else p.unlock_time
    elif e.event == "RewardPaid":
        p.rewards_paid += int(a["reward"])
    elif e.event == "DelegateeChanged":
        p.delegatee = checksum_address(a["newDelegatee"])
    if e.event in ("Staked", "UnstakeRequested", "Withdrawn"):
        state.history.append(StakePoint(e.chain_id, e.block_timestamp, e.block_number, e.event, state.staked,
                                        state.unbonding))  # fmt: skip


def staked_over_time(states: Iterable[StakingState]) -> list[tuple[int, int, int]]:
    """``(time, total staked, total unbonding)`` over every chain given, one point per change."""
    changes: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for state in states:
        staked = unbonding = 0
        for point in state.history:
            changes[point.block_timestamp][0] += point.staked - staked
            changes[point.block_timestamp][1] += point.unbonding - unbonding
            staked, unbonding = point.staked, point.unbonding
    series, staked, unbonding = [], 0, 0
    for at in sorted(changes):
        staked += changes[at][0]
        unbonding += changes[at][1]
        series.append((at, staked, unbonding))
    return series
