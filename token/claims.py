"""Cumulative claim trees: one leaf per account holding everything it has earned on a chain so far.

A tree holds one ``(account, cumulativeAmount)`` leaf per account: everything the account has earned
on that chain so far. A claim pays the difference to what the account already took, so one claim
covers any number of epochs.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from eth_utils import to_checksum_address

from sahara_dao.token.errors import TokenError
from sahara_dao.token.merkle import BALANCE_ENCODING, StandardMerkleTree


@dataclass(frozen=True)
class ClaimsTree:
    tree: StandardMerkleTree
    balances: dict[str, int]  # checksummed account -> cumulative base units

    @property
    def root(self) -> str:
        return self.tree.root

    @property
    def total(self) -> int:
        return sum(self.balances.values())

    def proof(self, account: str) -> tuple[int, list[str]]:
        """The account's cumulative amount and its proof; an error naming it when it has no leaf."""
        account = to_checksum_address(account)
        if account not in self.balances:
            raise TokenError(f"{account} has no leaf in the tree with root {self.root}")
        return self.balances[account], self.tree.get_proof((account, self.balances[account]))


def claims_tree(balances: Mapping[str, int]) -> ClaimsTree:
    """A tree over cumulative balances (zero balances left out), rows in address order."""
    rows = {to_checksum_address(account): int(amount) for account, amount in balances.items() if amount}
    if not rows:
        raise TokenError("no account has a positive cumulative balance: there is nothing to publish")
    ordered = dict(sorted(rows.items(), key=lambda item: item[0].lower()))
    return ClaimsTree(StandardMerkleTree.of(list(ordered.items()), BALANCE_ENCODING), ordered)


def add_balances(previous: Mapping[str, int], earned: Mapping[str, int]) -> dict[str, int]:
    """Cumulative balances after an epoch: the previous ones plus what each account earned."""
    result = {to_checksum_address(a): v for a, v in previous.items()}
    for account, amount in earned.items():
        key = to_checksum_address(account)
        result[key] = result.get(key, 0) + amount
    return result
