"""Cumulative claim trees and the epoch files from which anyone can recompute a published root.

A tree holds one ``(account, cumulativeAmount)`` leaf per account: everything the account has earned
on that chain so far. A claim pays the difference to what the account already took, so one claim
covers any number of epochs.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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


def write_epoch_file(path: Path, *, chain_id: int, epoch: int, inputs: dict, claims: ClaimsTree) -> Path:
    """Write the epoch's inputs, cumulative balances and tree dump (``@openzeppelin/merkle-tree`` format)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "chain_id": chain_id,
        "epoch": epoch,
        "root": claims.root,
        "total": str(claims.total),
        "inputs": inputs,
        "balances": {account: str(amount) for account, amount in claims.balances.items()},
        "tree": claims.tree.dump(),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def read_balances(path: Path) -> dict[str, int]:
    """The cumulative balances of an epoch file, after checking that they rebuild its root."""
    document = json.loads(Path(path).read_text())
    balances = {account: int(amount) for account, amount in document["balances"].items()}
    if claims_tree(balances).root != document["root"]:
        raise TokenError(f"{path}: the balances do not rebuild the recorded root {document['root']}")
    return balances
