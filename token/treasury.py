"""The treasury as the indexer saw it: balances and flows of the DAO's accounts, the genesis
allocation's vesting progress, and how much of the treasury is SAHARA.

Read-only: SAHARA figures come from the token's ``Transfer`` events in ``chain_event`` (the mint
included, since the indexer starts before the deployment), native coin (ETH, BNB) from the balances
the indexer reads at the end of each run (``native_balance``), plus the ``deployment`` table and the
genesis file. Amounts are integer base units (18 decimals for all three); shares are exact
:class:`~fractions.Fraction` values. The dependence share (DeepDAO's "dependence on the own token")
weighs holdings by prices the caller gives: without a price for an asset the treasury holds, it is
unknown rather than guessed.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from sahara_dao.core.models import Chain, ChainEvent, Deployment, NativeBalance
from sahara_dao.core.units import UNIT
from sahara_dao.token.allocation import TIMELOCK, TOTAL_SUPPLY, Genesis, Grant
from sahara_dao.token.claims import checksum_address

ZERO_ADDRESS = "0x" + "00" * 20
TREASURY_ACCOUNTS = {"timelock": "Treasury (Timelock)", "vault": "Revenue vault"}
"""Deployment names of the accounts the treasury page sums, with their labels (token's projector has
the indexer record their native balances too: ``Projector.native_accounts``)."""
OWN_TOKEN = "SAHARA"
NATIVE_SYMBOLS = {"ethereum": "ETH", "bsc": "BNB"}  # the native coin of each ecosystem


@dataclass(frozen=True)
class ChainInfo:
    chain_id: int
    ecosystem: str
    network: str
    last_block: int | None  # highest block with an indexed event
    last_time: int | None  # its timestamp

    @property
    def label(self) -> str:
        return f"{self.ecosystem} {self.network} ({self.chain_id})"


def indexed_chains(*, session: Session) -> list[ChainInfo]:
    """The chains in the database, with how far their events go."""
    latest = dict(
        (chain_id, (block, at))
        for chain_id, block, at in session.exec(
            select(ChainEvent.chain_id, func.max(ChainEvent.block_number), func.max(ChainEvent.block_timestamp))
            .group_by(ChainEvent.chain_id)
        )
    )  # fmt: skip
    return [
        ChainInfo(c.chain_id, c.ecosystem, c.network, *latest.get(c.chain_id, (None, None)))
        for c in session.exec(select(Chain).order_by(Chain.chain_id))
    ]


def deployment_names(*, session: Session, chain_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """``(chain id, checksummed address) -> deployment name`` (``token``, ``vault``, ``vesting/team/0x...``)."""
    rows = session.exec(select(Deployment).where(Deployment.chain_id.in_(list(chain_ids))))
    return {(row.chain_id, checksum_address(row.address)): row.contract for row in rows}


@dataclass(frozen=True)
class Transfer:
    chain_id: int
    block_number: int
    block_timestamp: int
    tx_hash: str
    log_index: int
    sender: str
    recipient: str
    amount: int


def token_transfers(*, session: Session, chain_ids: Iterable[int], touching: Iterable[str] | None = None) -> list[Transfer]:
    """The SAHARA ``Transfer`` events of ``chain_ids`` in chain order, optionally only those from or
    to one of the addresses ``touching``."""
    query = select(ChainEvent).where(
        ChainEvent.chain_id.in_(list(chain_ids)), ChainEvent.contract == "token", ChainEvent.event == "Transfer"
    )
    if touching is not None:
        addresses = sorted({checksum_address(a) for a in touching})
        if not addresses:
            return []
        query = query.where(
            ChainEvent.args["from"].as_string().in_(addresses) | ChainEvent.args["to"].as_string().in_(addresses)
        )
    rows = session.exec(query.order_by(ChainEvent.chain_id, ChainEvent.block_number, ChainEvent.log_index))
    return [
        Transfer(e.chain_id, e.block_number, e.block_timestamp, e.tx_hash, e.log_index,
                 checksum_address(e.args["from"]), checksum_address(e.args["to"]), int(e.args["value"]))
        for e in rows
    ]  # fmt: skip


def balances(transfers: Iterable[Transfer]) -> dict[tuple[int, str], int]:
    """``(chain id, address) -> balance`` after ``transfers`` (the zero address excluded)."""
    result: dict[tuple[int, str], int] = defaultdict(int)
    for t in transfers:
        if t.sender != ZERO_ADDRESS:
            result[(t.chain_id, t.sender)] -= t.amount
        if t.recipient != ZERO_ADDRESS:
            result[(t.chain_id, t.recipient)] += t.amount
    return dict(result)


# --- balances and flows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TreasuryBalance:
    chain_id: int
    name: str  # deployment name
    label: str
    address: str
    balance: int
    inflow: int  # everything received so far
    outflow: int  # everything sent so far


@dataclass(frozen=True)
class TreasuryFlow:
    chain_id: int
    account: str  # label of the treasury account
    block_timestamp: int
    block_number: int
    tx_hash: str
    direction: str  # in, out
    counterparty: str
    counterparty_name: str  # deployment name, "mint", or "" for outside accounts
    amount: int
    internal: bool  # between two treasury accounts of the chain


def _treasury_addresses(session: Session, chain_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    names = deployment_names(session=session, chain_ids=chain_ids)
    return {key: name for key, name in names.items() if name in TREASURY_ACCOUNTS}


def treasury_balances(*, session: Session, chain_ids: Iterable[int]) -> list[TreasuryBalance]:
    """The SAHARA balance, inflows and outflows of each treasury account on each chain."""
    chain_ids = list(chain_ids)
    accounts = _treasury_addresses(session, chain_ids)
    inflow: dict[tuple[int, str], int] = defaultdict(int)
    outflow: dict[tuple[int, str], int] = defaultdict(int)
    for t in token_transfers(session=session, chain_ids=chain_ids, touching={a for _, a in accounts}):
        if (t.chain_id, t.recipient) in accounts:
            inflow[(t.chain_id, t.recipient)] += t.amount
        if (t.chain_id, t.sender) in accounts:
            outflow[(t.chain_id, t.sender)] += t.amount
    return [
        TreasuryBalance(chain_id, name, TREASURY_ACCOUNTS[name], address,
                        inflow[(chain_id, address)] - outflow[(chain_id, address)],
                        inflow[(chain_id, address)], outflow[(chain_id, address)])
        for (chain_id, address), name in sorted(accounts.items(), key=lambda i: (i[0][0], list(TREASURY_ACCOUNTS).index(i[1])))
    ]  # fmt: skip


def treasury_flows(*, session: Session, chain_ids: Iterable[int]) -> list[TreasuryFlow]:
    """Every SAHARA movement into or out of a treasury account, oldest first."""
    chain_ids = list(chain_ids)
    accounts = _treasury_addresses(session, chain_ids)
    names = deployment_names(session=session, chain_ids=chain_ids)
    flows = []
    for t in token_transfers(session=session, chain_ids=chain_ids, touching={a for _, a in accounts}):
        internal = (t.chain_id, t.sender) in accounts and (t.chain_id, t.recipient) in accounts
        for direction, own, other in (("out", t.sender, t.recipient), ("in", t.recipient, t.sender)):
            if (t.chain_id, own) not in accounts:
                continue
            other_name = "mint" if other == ZERO_ADDRESS else names.get((t.chain_id, other), "")
            flows.append(TreasuryFlow(t.chain_id, TREASURY_ACCOUNTS[accounts[(t.chain_id, own)]], t.block_timestamp,
                                      t.block_number, t.tx_hash, direction, other, other_name, t.amount, internal))  # fmt: skip
    return flows


def balance_history(flows: Iterable[TreasuryFlow]) -> list[tuple[int, int, int]]:
    """``(chain id, time, treasury balance after it)`` at each block that moved it (the treasury's
    accounts of a chain together: moves between them change nothing)."""
    balance: dict[int, int] = defaultdict(int)
    points: dict[tuple[int, int], int] = {}
    for flow in flows:
        balance[flow.chain_id] += flow.amount if flow.direction == "in" else -flow.amount
        points[(flow.chain_id, flow.block_timestamp)] = balance[flow.chain_id]
    return [(chain_id, at, amount) for (chain_id, at), amount in points.items()]


@dataclass(frozen=True)
class NativeHolding:
    chain_id: int
    symbol: str  # ETH, BNB
    name: str  # deployment name
    label: str
    address: str
    balance: int  # wei
    block_number: int  # where the indexer read it
    block_timestamp: int


def native_symbol(ecosystem: str) -> str:
    return NATIVE_SYMBOLS.get(ecosystem, ecosystem.upper())


def _native_rows(session: Session, chain_ids: list[int]) -> tuple[list[NativeBalance], dict[int, str]]:
    symbols = {c.chain_id: native_symbol(c.ecosystem) for c in session.exec(select(Chain).where(Chain.chain_id.in_(chain_ids)))}
    rows = session.exec(
        select(NativeBalance).where(NativeBalance.chain_id.in_(chain_ids), NativeBalance.contract.in_(list(TREASURY_ACCOUNTS)))
        .order_by(NativeBalance.chain_id, NativeBalance.block_number, NativeBalance.id)
    ).all()  # fmt: skip
    return list(rows), symbols


def native_holdings(*, session: Session, chain_ids: Iterable[int]) -> list[NativeHolding]:
    """The native coin each treasury account held when the indexer last read it (zero balances included)."""
    rows, symbols = _native_rows(session, list(chain_ids))
    latest = {(row.chain_id, row.address): row for row in rows}
    return [
        NativeHolding(row.chain_id, symbols[row.chain_id], row.contract, TREASURY_ACCOUNTS[row.contract], row.address,
                      row.balance, row.block_number, row.block_timestamp)
        for row in sorted(latest.values(), key=lambda r: (r.chain_id, list(TREASURY_ACCOUNTS).index(r.contract)))
    ]  # fmt: skip


def native_history(*, session: Session, chain_ids: Iterable[int]) -> list[tuple[int, str, int, int]]:
    """``(chain id, symbol, time, the treasury accounts' native coin together)`` at each recorded change."""
    rows, symbols = _native_rows(session, list(chain_ids))
    held: dict[tuple[int, str], int] = {}
    points: dict[tuple[int, int], int] = {}
    for row in rows:
        held[(row.chain_id, row.address)] = row.balance
        points[(row.chain_id, row.block_timestamp)] = sum(v for (c, _), v in held.items() if c == row.chain_id)
    return [(chain_id, symbols[chain_id], at, amount) for (chain_id, at), amount in points.items()]


@dataclass(frozen=True)
class Dependence:
    """How much of the treasury's value is SAHARA (DeepDAO's "dependence on the own token")."""

    holdings: dict[str, int]  # symbol -> base units held by the treasury accounts (SAHARA, ETH, BNB)
    prices: dict[str, Fraction]  # symbol -> USD per whole unit, as given
    supply_share: Fraction  # the treasury's SAHARA over the chains' total supply

    @property
    def sahara(self) -> int:
        return self.holdings.get(OWN_TOKEN, 0)

    @property
    def held(self) -> list[str]:
        """The symbols with a balance."""
        return [symbol for symbol, amount in self.holdings.items() if amount]

    @property
    def missing_prices(self) -> list[str]:
        """Held assets without a price; none are needed when the treasury holds SAHARA only."""
        if self.held == [OWN_TOKEN]:
            return []
        return [symbol for symbol in self.held if symbol not in self.prices]

    @property
    def values(self) -> dict[str, Fraction] | None:
        """USD value per held asset; None while a price is missing."""
        if self.missing_prices:
            return None
        return {symbol: Fraction(self.holdings[symbol], UNIT) * self.prices[symbol] for symbol in self.held}

    @property
    def own_token_share(self) -> Fraction | None:
        """SAHARA's share of the treasury's value: 1 when it holds nothing else, None when a held
        asset has no price (or nothing is held, or everything is priced at 0)."""
        if self.held == [OWN_TOKEN]:
            return Fraction(1)
        values = self.values
        if not values or not sum(values.values()):
            return None
        return values.get(OWN_TOKEN, Fraction(0)) / sum(values.values())


def holdings(balances_: Iterable[TreasuryBalance], natives: Iterable[NativeHolding]) -> dict[str, int]:
    """Base units the treasury accounts hold together, per asset: SAHARA, then each native coin."""
    held = {OWN_TOKEN: sum(b.balance for b in balances_)}
    for native in natives:
        held[native.symbol] = held.get(native.symbol, 0) + native.balance
    return held


def dependence(held: Mapping[str, int], chain_count: int, prices: Mapping[str, Any] | None = None) -> Dependence:
    """The dependence share of ``held`` (from ``holdings``) at ``prices`` (symbol -> USD per whole
    unit: Decimal, Fraction, int or a decimal string; taken exactly)."""
    supply = TOTAL_SUPPLY * chain_count
    exact = {symbol.upper(): Fraction(str(price)) for symbol, price in (prices or {}).items()}
    sahara = held.get(OWN_TOKEN, 0)
    return Dependence(dict(held), exact, Fraction(sahara, supply) if supply else Fraction(0))


# --- allocation and vesting ------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantProgress:
    chain_id: int
    bucket: str
    beneficiary: str  # address, or "timelock"
    wallet: str | None  # vesting wallet address (None for direct grants)
    amount: int
    vested: int
    released: int
    start: int | None
    cliff_end: int | None
    end: int | None

    @property
    def releasable(self) -> int:
        return self.vested - self.released

    @property
    def locked(self) -> int:
        return self.amount - self.vested


@dataclass(frozen=True)
class BucketProgress:
    bucket: str
    amount: int
    vested: int
    released: int
    locked: int
    vesting: bool


def vested_amount(grant: Grant, start: int, at: int) -> int:
    """What a vesting wallet (OpenZeppelin VestingWalletCliff) has vested at ``at``, exactly."""
    vesting = grant.vesting
    if vesting is None:
        return grant.amount
    if at < start + vesting.cliff:
        return 0
    if at >= start + vesting.duration:
        return grant.amount
    return grant.amount * (at - start) // vesting.duration


def vesting_progress(
    *, session: Session, genesis: Genesis, chain_ids: Iterable[int], genesis_times: Mapping[int, int],
    as_of: Mapping[int, int],
) -> list[GrantProgress]:
    """Each genesis grant on each chain at ``as_of`` (chain -> time): vested (by the schedule) and released (the
    tokens that left its vesting wallet). A wallet's start is the schedule's, or its chain's
    deployment time from ``genesis_times``."""
    chain_ids = list(chain_ids)
    names = deployment_names(session=session, chain_ids=chain_ids)
    wallets = {(chain_id, name): address for (chain_id, address), name in names.items() if name.startswith("vesting/")}
    released: dict[tuple[int, str], int] = defaultdict(int)
    for t in token_transfers(session=session, chain_ids=chain_ids, touching={a for a in wallets.values()}):
        if (t.chain_id, t.sender) in names and names[(t.chain_id, t.sender)].startswith("vesting/"):
            released[(t.chain_id, t.sender)] += t.amount
    progress = []
    for chain_id in chain_ids:
        for grant in genesis.grants:
            if grant.vesting is None:
                progress.append(GrantProgress(chain_id, grant.bucket, grant.beneficiary, None, grant.amount,
                                              grant.amount, grant.amount, None, None, None))  # fmt: skip
                continue
            wallet = wallets.get((chain_id, grant.key))
            start = grant.vesting.start if grant.vesting.start is not None else genesis_times.get(chain_id)
            if wallet is None or start is None:
                continue  # not deployed on this chain (or with another genesis file)
            vested = vested_amount(grant, start, as_of[chain_id])
            progress.append(GrantProgress(chain_id, grant.bucket, grant.beneficiary, wallet, grant.amount, vested,
                                          released[(chain_id, wallet)], start, start + grant.vesting.cliff,
                                          start + grant.vesting.duration))  # fmt: skip
    return progress


def bucket_progress(grants: Iterable[GrantProgress]) -> list[BucketProgress]:
    """Grants summed per bucket (over the chains given)."""
    totals: dict[str, list[int]] = {}
    vesting: dict[str, bool] = {}
    for g in grants:
        row = totals.setdefault(g.bucket, [0, 0, 0])
        row[0] += g.amount
        row[1] += g.vested
        row[2] += g.released
        vesting[g.bucket] = vesting.get(g.bucket, False) or g.wallet is not None
    return [BucketProgress(bucket, a, v, r, a - v, vesting[bucket]) for bucket, (a, v, r) in totals.items()]


def beneficiary_label(beneficiary: str) -> str:
    return "DAO treasury (timelock)" if beneficiary == TIMELOCK else beneficiary
