"""Indexed chain rows for poll tests: what `sahara index` would store for SAHARA transfers,
delegations, stakes and receipts, written straight into ``chain_event`` (and ``receipt``)."""

from itertools import count

from eth_utils import to_checksum_address
from sqlmodel import Session

from sahara_dao.core.models import Chain, ChainEvent, IndexerCheckpoint
from sahara_dao.core.units import UNIT
from sahara_dao.token.models import Receipt

ZERO = "0x" + "00" * 20
GENESIS_TIME = 1_800_000_000
BLOCK_SECONDS = 12


def address(n: int) -> str:
    return to_checksum_address(f"0x{n:040x}")


def surrogate_of(delegatee: str) -> str:
    return address(0x5000 + int(delegatee, 16) % 0x1000)


def block_time(block: int, offset: int = 0) -> int:
    return GENESIS_TIME + offset + block * BLOCK_SECONDS


class Ledger:
    """One chain's indexed events; amounts in whole SAHARA unless ``base=True``."""

    _ids = count(1)

    def __init__(self, session: Session, chain_id: int, ecosystem: str = "ethereum", time_offset: int = 0):
        self.session, self.chain_id, self.time_offset = session, chain_id, time_offset
        session.add(Chain(chain_id=chain_id, ecosystem=ecosystem, network="local"))
        session.flush()

    def event(self, block: int, contract: str, name: str, **args) -> ChainEvent:
        n = next(self._ids)
        row = ChainEvent(
            chain_id=self.chain_id, contract=contract, address=address(0xC0DE), event=name, block_number=block,
            block_hash=f"0x{block:064x}", block_timestamp=block_time(block, self.time_offset),
            tx_hash=f"0x{n:064x}", log_index=0, args=args,
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        return row

    def transfer(self, block: int, sender: str, to: str, sahara: int) -> None:
        self.event(block, "token", "Transfer", **{"from": sender, "to": to, "value": str(sahara * UNIT)})

    def mint(self, block: int, to: str, sahara: int) -> None:
        self.transfer(block, ZERO, to, sahara)

    def delegate(self, block: int, delegator: str, to: str) -> None:
        self.event(block, "token", "DelegateChanged", delegator=delegator, fromDelegate=ZERO, toDelegate=to)

    def stake(self, block: int, account: str, sahara: int, delegatee: str | None = None) -> None:
        """Stake: the tokens move to the delegatee's surrogate, as SaharaStaking does."""
        delegatee = delegatee or account
        self.event(
            block, "staking", "Staked", account=account, delegatee=delegatee, amount=str(sahara * UNIT)
        )
        self.transfer(block, account, surrogate_of(delegatee), sahara)

    def unstake(self, block: int, account: str, sahara: int) -> None:
        self.event(
            block, "staking", "UnstakeRequested", account=account, amount=str(sahara * UNIT), unlockTime=0
        )

    def withdraw(self, block: int, account: str, sahara: int) -> None:
        self.event(block, "staking", "Withdrawn", account=account, amount=str(sahara * UNIT))
        self.transfer(block, surrogate_of(account), account, sahara)

    def surrogate(self, block: int, delegatee: str, surrogate: str) -> None:
        self.event(block, "staking", "SurrogateDeployed", delegatee=delegatee, surrogate=surrogate)

    def receipt(self, block: int, asset_id: int, contributor: str, share_bps: int) -> None:
        row = self.event(block, "registry", "ContributorRecorded", assetId=asset_id, contributor=contributor)
        self.session.add(Receipt(chain_id=self.chain_id, asset_id=asset_id, contributor=contributor,
                                 receipt_id=row.id, share_bps=share_bps, role="creator", event_id=row.id))  # fmt: skip
        self.session.flush()

    def indexed(self, block: int, contracts=("token", "staking", "registry")) -> None:
        """Checkpoints at ``block`` (an event there fixes its time), as after `sahara index`."""
        self.event(block, "token", "Approval", owner=ZERO, spender=ZERO, value=0)
        for contract in contracts:
            row = self.session.get(IndexerCheckpoint, (self.chain_id, contract)) or IndexerCheckpoint(
                chain_id=self.chain_id, contract=contract, block_number=block, block_hash=""
            )
            row.block_number, row.block_hash = block, f"0x{block:064x}"
            self.session.add(row)
        self.session.flush()
