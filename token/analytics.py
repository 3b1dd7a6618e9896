"""Where revenue goes: per epoch, chain, asset and contributor; the flow from license and usage fees
through assets (and their lineage) to contributors and the treasury; how concentrated payouts are;
and one contributor's earned, claimed and claimable amounts with the proof of the active root.

Read-only. The per-account figures come from ``settlement_line`` and ``claim``; the flows of one
epoch from its epoch file (the file anyone can recompute the root from). Amounts are integer base
units; shares and the Gini coefficient are exact :class:`~fractions.Fraction` values.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from sahara_dao.token.claims import checksum_address
from sahara_dao.token.epochs import read_epoch_file
from sahara_dao.token.merkle import StandardMerkleTree
from sahara_dao.token.models import Asset, Claim, Epoch, EpochStatus, SettlementLine
from sahara_dao.token.royalties import BPS, largest_remainder

LICENSE_FEES = "License fees"
PAY_PER_USE = "Pay-per-use"
TREASURY_FEE = "Treasury (protocol fee)"
LIVE = (EpochStatus.PUBLISHED, EpochStatus.ACTIVATED, EpochStatus.VERIFIED)
"""Statuses of an epoch whose root is in the vault."""


def epochs(*, session: Session, chain_ids: Iterable[int]) -> list[Epoch]:
    """The settled epochs of ``chain_ids``, by chain and number."""
    query = select(Epoch).where(Epoch.chain_id.in_(list(chain_ids))).order_by(Epoch.chain_id, Epoch.epoch)
    return list(session.exec(query))


def asset_names(*, session: Session, chain_ids: Iterable[int]) -> dict[tuple[int, int], str]:
    """``(chain id, asset id) -> "#1 dataset street-signs-dataset"`` (the metadata URI's last part)."""
    rows = session.exec(select(Asset).where(Asset.chain_id.in_(list(chain_ids))))
    return {(a.chain_id, a.asset_id): f"#{a.asset_id} {a.kind} {a.metadata_uri.rstrip('/').rsplit('/', 1)[-1]}"
            for a in rows}  # fmt: skip


# --- per epoch, asset and contributor ----------------------------------------------------------------


@dataclass(frozen=True)
class EarnedLine:
    chain_id: int
    epoch: int
    account: str
    earned: int
    cumulative: int


def earned_lines(*, session: Session, chain_ids: Iterable[int], account: str | None = None) -> list[EarnedLine]:
    """What each account earned in each epoch (and its cumulative balance after it)."""
    query = select(SettlementLine).where(SettlementLine.chain_id.in_(list(chain_ids)))
    if account is not None:
        query = query.where(SettlementLine.account == checksum_address(account))
    query = query.order_by(SettlementLine.chain_id, SettlementLine.epoch, SettlementLine.account)
    return [EarnedLine(s.chain_id, s.epoch, s.account, s.earned, s.cumulative) for s in session.exec(query)]


def earned_by_account(lines: Iterable[EarnedLine]) -> dict[str, int]:
    """Everything each account earned over ``lines`` (every chain and epoch given), largest first."""
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[line.account] += line.earned
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True)
class AssetRevenue:
    chain_id: int
    epoch: int
    asset_id: int
    license_revenue: int
    usage_revenue: int
    upstream_paid: int  # sent to the assets it derives from
    upstream_received: int  # received from the assets derived from it
    retained: int  # paid to its own contributors

    @property
    def revenue(self) -> int:
        return self.license_revenue + self.usage_revenue


def asset_revenue(document: Mapping) -> list[AssetRevenue]:
    """Per asset of one epoch file: its fees, lineage flows and what its contributors got."""
    inputs, outputs = document["inputs"], document["outputs"]
    paid: dict[int, int] = defaultdict(int)
    received: dict[int, int] = defaultdict(int)
    for source, upstream, amount in outputs["upstream_flows"]:
        paid[int(source)] += int(amount)
        received[int(upstream)] += int(amount)
    licenses = {int(a): int(v) for a, v in inputs["license_revenue"].items()}
    usage = {int(a): int(v) for a, v in inputs["usage_revenue"].items()}
    retained = {int(a): int(v) for a, v in outputs["retained"].items()}
    ids = sorted(set(licenses) | set(usage) | set(retained) | set(received))
    return [AssetRevenue(document["chain_id"], document["epoch"], a, licenses.get(a, 0), usage.get(a, 0), paid[a],
                         received[a], retained.get(a, 0)) for a in ids]  # fmt: skip


# --- the flow of one epoch (a Sankey diagram's nodes and links) --------------------------------------


@dataclass(frozen=True)
class Flow:
    source: str
    target: str
    amount: int
    kind: str  # fee, upstream, protocol_fee, contributor


def epoch_flows(document: Mapping, names: Mapping[int, str] | None = None,
                accounts: Mapping[str, str] | None = None) -> list[Flow]:  # fmt: skip
    """The revenue of one epoch file as flows: fee kinds -> assets -> upstream assets -> contributors
    and the treasury. Contributors' parts are the split's own largest-remainder division of what each
    asset retained, so the flows into each account sum exactly to what the epoch file says it earned."""
    names = names or {}
    accounts = accounts or {}
    inputs, outputs = document["inputs"], document["outputs"]

    def asset(asset_id) -> str:
        return names.get(int(asset_id), f"asset #{asset_id}")

    def person(account: str) -> str:
        return accounts.get(account, account)

    flows = [Flow(LICENSE_FEES, asset(a), int(v), "fee") for a, v in inputs["license_revenue"].items() if int(v)]
    flows += [Flow(PAY_PER_USE, asset(a), int(v), "fee") for a, v in inputs["usage_revenue"].items() if int(v)]
    revenue: dict[int, int] = defaultdict(int)
    for part in (inputs["license_revenue"], inputs["usage_revenue"]):
        for a, v in part.items():
            revenue[int(a)] += int(v)
    for asset_id, amount in sorted(revenue.items()):
        fee = amount * inputs["fee_bps"] // BPS
        if fee:
            flows.append(Flow(asset(asset_id), TREASURY_FEE, fee, "protocol_fee"))
    flows += [Flow(asset(a), asset(u), int(v), "upstream") for a, u, v in outputs["upstream_flows"] if int(v)]
    for asset_id, kept in outputs["retained"].items():
        contributors = [(c, int(bps)) for c, bps in inputs["assets"][str(asset_id)]["contributors"]]
        for account, part in largest_remainder(int(kept), contributors).items():
            if part:
                flows.append(Flow(asset(asset_id), person(account), part, "contributor"))
    return flows


# --- concentration -------------------------------------------------------------------------------------


def gini(amounts: Iterable[int]) -> Fraction:
    """The Gini coefficient of non-negative integer amounts, exactly: 0 when everyone gets the same,
    ``1 - 1/n`` when one of ``n`` gets everything. ``G = 2 Σ i·x_(i) / (n Σ x) - (n + 1) / n``
    over the amounts sorted ascending, ``i`` from 1."""
    values = sorted(int(a) for a in amounts)
    if any(v < 0 for v in values):
        raise ValueError("the Gini coefficient is defined for non-negative amounts")
    n, total = len(values), sum(values)
    if n == 0 or total == 0:
        return Fraction(0)
    weighted = sum(i * v for i, v in enumerate(values, start=1))
    return Fraction(2 * weighted, n * total) - Fraction(n + 1, n)


def lorenz(amounts: Iterable[int]) -> list[tuple[Fraction, Fraction]]:
    """The Lorenz curve: ``(share of accounts, share of the amount they got)`` from the smallest up,
    starting at ``(0, 0)`` and ending at ``(1, 1)`` (exact fractions)."""
    values = sorted(int(a) for a in amounts)
    n, total = len(values), sum(values)
    points = [(Fraction(0), Fraction(0))]
    if n == 0 or total == 0:
        return points
    running = 0
    for i, v in enumerate(values, start=1):
        running += v
        points.append((Fraction(i, n), Fraction(running, total)))
    return points


# --- one contributor -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContributorPosition:
    chain_id: int
    account: str
    earned: int  # cumulative over every settled epoch of the chain
    claimed: int  # what the vault paid it so far (indexed Claimed events)
    active_epoch: int | None  # the epoch of the vault's active root (activated at ``as_of``)
    claimable_cumulative: int  # its leaf under the active root
    proof: list[str]
    root: str | None

    @property
    def claimable(self) -> int:
        return max(self.claimable_cumulative - self.claimed, 0)

    @property
    def pending(self) -> int:
        """Earned but not under the active root yet (a published root still activating, or not published)."""
        return self.earned - max(self.claimable_cumulative, self.claimed)


def claimed_by_account(*, session: Session, chain_ids: Iterable[int]) -> dict[tuple[int, str], int]:
    """``(chain id, account) -> cumulative amount claimed`` from the vault's Claimed events."""
    rows = session.exec(
        select(Claim.chain_id, Claim.account, Claim.cumulative).where(Claim.chain_id.in_(list(chain_ids)))
    )
    claimed: dict[tuple[int, str], int] = {}
    for chain_id, account, cumulative in rows:
        key = (chain_id, checksum_address(account))
        claimed[key] = max(claimed.get(key, 0), cumulative)
    return claimed


def active_epoch(chain_epochs: Iterable[Epoch], as_of: int) -> Epoch | None:
    """The epoch whose root the vault pays against at ``as_of``: the latest published one whose
    activation time has passed."""
    live = [e for e in chain_epochs if e.status in LIVE and e.activates_at is not None and e.activates_at <= as_of]
    return max(live, key=lambda e: e.epoch, default=None)


def leaf_proof(epoch_file: str | Path, account: str, cumulative: int) -> tuple[str, list[str]]:
    """The root and the proof of ``(account, cumulative)`` from an epoch file's tree (offline: what
    ``sahara proof`` returns for the active root, without a node)."""
    document = read_epoch_file(Path(epoch_file))
    tree = StandardMerkleTree.load(document["tree"])
    return tree.root, tree.get_proof((checksum_address(account), cumulative))


def contributor_positions(
    *, session: Session, account: str, chain_ids: Iterable[int], as_of: Mapping[int, int]
) -> list[ContributorPosition]:
    """``account`` on each chain where it earned: earned, claimed, claimable at ``as_of`` (chain ->
    time) and the proof."""
    account = checksum_address(account)
    chain_ids = list(chain_ids)
    claimed = claimed_by_account(session=session, chain_ids=chain_ids)
    lines = earned_lines(session=session, chain_ids=chain_ids, account=account)
    positions = []
    for chain_id in sorted({line.chain_id for line in lines}):
        mine = [line for line in lines if line.chain_id == chain_id]
        active = active_epoch(epochs(session=session, chain_ids=[chain_id]), as_of[chain_id])
        leaf = next((line.cumulative for line in mine if active and line.epoch == active.epoch), 0)
        root, proof = (active.root, []) if active else (None, [])
        if active and leaf:
            root, proof = leaf_proof(active.epoch_file, account, leaf)
        positions.append(ContributorPosition(
            chain_id, account, max(line.cumulative for line in mine), claimed.get((chain_id, account), 0),
            active.epoch if active else None, leaf, proof, root,
        ))  # fmt: skip
    return positions


def total_earned(*, session: Session, chain_ids: Iterable[int]) -> int:
    """Everything settled on ``chain_ids`` (the sum of the epochs' earnings)."""
    return sum(session.exec(select(Epoch.earned).where(Epoch.chain_id.in_(list(chain_ids)))))


def accounts_count(*, session: Session, chain_ids: Iterable[int]) -> int:
    query = select(func.count(func.distinct(SettlementLine.account))).where(SettlementLine.chain_id.in_(list(chain_ids)))
    return session.exec(query).one()
