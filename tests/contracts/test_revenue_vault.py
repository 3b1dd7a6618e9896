"""RevenueVault: revenue deposits, cumulative Merkle claims of SAHARA revenue, roots with an activation
delay, guardian powers.

Trees are built with sahara_dao.token.merkle (OpenZeppelin StandardMerkleTree leaves); one test
claims on-chain with a root and proofs built by @openzeppelin/merkle-tree itself (node).

Errors in the ABI that no call can reach, so no test triggers them:
- SafeCastOverflowedUintDowncast for the 40-bit activation time: `block.timestamp` plus at most
  30 days only passes 2^40 seconds in the year 36812 (the 64-bit epoch cast is triggered below).
- SafeERC20FailedOperation: SAHARA returns true or reverts, and the vault's transfers are covered by
  its balance (a transfer the token refuses, a deposit without allowance included, bubbles up the
  token's own error).
"""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_utils import keccak, to_checksum_address

from sahara_dao.token.merkle import BALANCE_ENCODING, StandardMerkleTree

E = 10**18
DAY = 24 * 60 * 60
DELAY = 2 * DAY  # the vault's activation delay in these tests
FUND = 1_000_000 * E  # what the vault holds at the start of each test, all of it deposited
MAX_DELAY = 30 * DAY
ASSET = 7  # the asset the test deposits are paid for
REFERENCE = Path(__file__).resolve().parents[1] / "token" / "merkle_reference.js"


def contributor(i: int) -> str:
    """A fresh address that has never held anything."""
    return to_checksum_address(keccak(text=f"sahara-vault-test/contributor/{i}")[12:])


ALICE, BOB, CAROL, DAVE = (contributor(i) for i in range(4))


def raw(root: str) -> bytes:
    """A 0x-hex root as the bytes32 the contract returns."""
    return bytes.fromhex(root[2:])


@dataclass
class Published:
    """A published root: its tree, epoch, total, activation time and the publishing receipt."""

    tree: StandardMerkleTree
    epoch: int
    total: int
    activates_at: int
    receipt: object

    def amount(self, account: str) -> int:
        return next(amount for a, amount in self.tree.values if a == account)

    def leaf(self, account: str) -> tuple[str, int, list[str]]:
        """(account, cumulativeAmount, proof): the arguments of a claim under this root."""
        amount = self.amount(account)
        return account, amount, self.tree.get_proof((account, amount))


@pytest.fixture(scope="module", autouse=True)
def _session_fixtures_first(params, other, holder, timelock, enact, reverts):
    """Sets up the session fixtures this module uses before its module fixtures, as Ape's isolation wants."""


@pytest.fixture(scope="module")
def settler(accounts):
    return accounts[9]


@pytest.fixture(scope="module")
def admin(deployer):
    """The vault's admin in these tests (the DAO timelock in production, see the governance test)."""
    return deployer


@pytest.fixture(scope="module")
def source(accounts):
    """A revenue source holding REVENUE_SOURCE_ROLE (the LicenseManager in production)."""
    return accounts[7]


@pytest.fixture(scope="module")
def vault(project, token, admin, settler, guardian, source, deployer):
    vault = project.RevenueVault.deploy(token, admin, settler, guardian, DELAY, sender=deployer)
    vault.grantRole(vault.REVENUE_SOURCE_ROLE(), source, sender=admin)
    token.approve(vault, FUND, sender=deployer)
    vault.deposit(ASSET, FUND, sender=deployer)
    return vault


@pytest.fixture(scope="module")
def publish(vault, settler, chain):
    """``publish({account: cumulative}, epoch=None, total=None, activate=True)`` -> Published.

    The epoch defaults to the vault's last epoch plus one and the total to the sum of the amounts;
    ``activate`` moves the chain to the root's activation time.
    """

    def _publish(balances: dict, epoch=None, total=None, activate=True, sender=None):
        tree = StandardMerkleTree.of(list(balances.items()), BALANCE_ENCODING)
        epoch = vault.lastEpoch() + 1 if epoch is None else epoch
        total = sum(balances.values()) if total is None else total
        receipt = vault.publishRoot(epoch, tree.root, total, sender=sender or settler)
        [event] = receipt.events.filter(vault.RootPublished)
        published = Published(tree, epoch, total, event.activatesAt, receipt)
        if activate:
            chain.mine(timestamp=published.activates_at)
        return published

    return _publish


# --------------------------------------------------------------------------------------------------
# Deployment


def test_constructor_sets_token_roles_and_delay(vault, token, admin, settler, guardian):
    """The vault holds SAHARA, grants the three roles and starts with no root and nothing claimed."""
    assert vault.REVENUE_SOURCE_ROLE() == keccak(text="REVENUE_SOURCE_ROLE")
    assert vault.token() == token.address
    assert vault.hasRole(vault.DEFAULT_ADMIN_ROLE(), admin)
    assert vault.hasRole(vault.SETTLER_ROLE(), settler)
    assert vault.hasRole(vault.GUARDIAN_ROLE(), guardian)
    assert vault.SETTLER_ROLE() == keccak(text="SETTLER_ROLE")
    assert vault.GUARDIAN_ROLE() == keccak(text="GUARDIAN_ROLE")
    assert vault.activationDelay() == DELAY
    assert vault.MAX_ACTIVATION_DELAY() == MAX_DELAY
    assert vault.activeRoot() == (b"\x00" * 32, 0, 0)
    assert vault.pendingRoot() == (b"\x00" * 32, 0, 0, 0)
    assert (vault.lastEpoch(), vault.totalCommitted()) == (0, 0)
    assert vault.totalDeposited() == FUND  # the fixture's deposit
    assert not vault.paused()


def test_constructor_emits_activation_delay(project, chain, token, admin, deployer):
    """Deploying announces the initial delay with ActivationDelaySet(0, delay); nothing is deposited yet."""
    vault = project.RevenueVault.deploy(token, admin, admin, admin, 3 * DAY, sender=deployer)
    [event] = chain.get_receipt(vault.txn_hash).events.filter(vault.ActivationDelaySet)
    assert (event.oldDelay, event.newDelay) == (0, 3 * DAY)
    assert vault.totalDeposited() == 0
    assert not vault.hasRole(vault.REVENUE_SOURCE_ROLE(), admin)


def test_constructor_skips_zero_settler_and_guardian(project, token, admin, deployer, params):
    """A zero settler or guardian gets no role (the admin can grant them later)."""
    vault = project.RevenueVault.deploy(
        token, admin, params.ZERO_ADDRESS, params.ZERO_ADDRESS, 0, sender=deployer
    )
    assert not vault.hasRole(vault.SETTLER_ROLE(), params.ZERO_ADDRESS)
    assert not vault.hasRole(vault.GUARDIAN_ROLE(), params.ZERO_ADDRESS)
    assert vault.activationDelay() == 0


def test_constructor_rejects_token_without_code(project, admin, other, deployer, reverts):
    """A token address without code reverts with RevenueVaultInvalidToken."""
    with reverts(project.RevenueVault.RevenueVaultInvalidToken, token=other):
        project.RevenueVault.deploy(other, admin, admin, admin, DELAY, sender=deployer)


def test_constructor_rejects_zero_admin(project, token, deployer, params, reverts):
    """Without an admin nobody could unpause or manage roles: RevenueVaultInvalidAdmin."""
    with reverts(project.RevenueVault.RevenueVaultInvalidAdmin, admin=params.ZERO_ADDRESS):
        project.RevenueVault.deploy(token, params.ZERO_ADDRESS, deployer, deployer, DELAY, sender=deployer)


def test_constructor_rejects_too_long_delay(project, token, admin, deployer, reverts):
    """An activation delay above 30 days reverts with RevenueVaultActivationDelayTooLong."""
    with reverts(
        project.RevenueVault.RevenueVaultActivationDelayTooLong, delay=MAX_DELAY + 1, maxDelay=MAX_DELAY
    ):
        project.RevenueVault.deploy(token, admin, admin, admin, MAX_DELAY + 1, sender=deployer)


# --------------------------------------------------------------------------------------------------
# Publishing


def test_publish_records_pending_root(vault, publish, chain):
    """A published root is pending until its activation time and announced with RootPublished."""
    before = chain.pending_timestamp
    root = publish({ALICE: 5 * E, BOB: 7 * E}, epoch=3, activate=False)
    [event] = root.receipt.events.filter(vault.RootPublished)
    assert (event.epoch, event.root, event.total) == (3, raw(root.tree.root), 12 * E)
    assert event.activatesAt == before + DELAY
    assert vault.pendingRoot() == (raw(root.tree.root), 3, 12 * E, before + DELAY)
    assert vault.activeRoot() == (b"\x00" * 32, 0, 0)
    assert vault.lastEpoch() == 3
    assert vault.totalCommitted() == 0


def test_published_root_activates_after_the_delay(vault, publish, chain):
    """At its activation time the pending root becomes the active one, without a transaction."""
    root = publish({ALICE: 5 * E}, activate=False)
    chain.mine(timestamp=root.activates_at - 1)
    assert vault.pendingRoot()[1] == root.epoch
    chain.mine(timestamp=root.activates_at)
    assert vault.activeRoot() == (raw(root.tree.root), root.epoch, 5 * E)
    assert vault.pendingRoot() == (b"\x00" * 32, 0, 0, 0)
    assert vault.totalCommitted() == 5 * E


def test_claim_one_second_before_activation_reverts(vault, publish, chain, other, reverts):
    """A claim in the block just before the activation time does not see the root yet."""
    root = publish({ALICE: 5 * E}, activate=False)
    chain.pending_timestamp = root.activates_at - 1
    with reverts(vault.RevenueVaultNoActiveRoot):
        vault.claim(*root.leaf(ALICE), sender=other)
    vault.claim(*root.leaf(ALICE), sender=other)  # the next block is at the activation time


def test_publish_requires_settler_role(vault, other, reverts):
    """Only SETTLER_ROLE publishes."""
    with reverts(vault.AccessControlUnauthorizedAccount, account=other, neededRole=vault.SETTLER_ROLE()):
        vault.publishRoot(1, b"\x01" * 32, 0, sender=other)


def test_publish_rejects_zero_root(vault, settler, reverts):
    """The zero root reverts with RevenueVaultInvalidRoot."""
    with reverts(vault.RevenueVaultInvalidRoot, root=b"\x00" * 32):
        vault.publishRoot(1, b"\x00" * 32, 0, sender=settler)


def test_publish_rejects_epoch_not_above_the_last(vault, publish, settler, reverts):
    """Epochs strictly increase: the same epoch, a lower one and zero all revert."""
    publish({ALICE: E}, epoch=5)
    for epoch in (5, 4, 0):
        with reverts(vault.RevenueVaultEpochNotIncreasing, epoch=epoch, lastEpoch=5):
            vault.publishRoot(epoch, b"\x02" * 32, 2 * E, sender=settler)


def test_revoked_epoch_cannot_be_published_again(vault, publish, settler, guardian, reverts):
    """A revoked root's epoch stays used: the corrected root needs a higher epoch."""
    bad = publish({ALICE: E}, epoch=7, activate=False)
    vault.revokeRoot(7, sender=guardian)
    with reverts(vault.RevenueVaultEpochNotIncreasing, epoch=7, lastEpoch=7):
        vault.publishRoot(7, b"\x03" * 32, E, sender=settler)
    assert vault.lastEpoch() == 7
    assert publish({ALICE: E}, epoch=8, activate=False).tree.root == bad.tree.root


def test_publish_rejects_a_root_published_before(vault, publish, settler, reverts):
    """A root that is or was in force cannot come back, even under a new epoch (nothing changed)."""
    first = publish({ALICE: E})
    with reverts(vault.RevenueVaultRootAlreadyPublished, root=raw(first.tree.root), epoch=first.epoch):
        vault.publishRoot(first.epoch + 1, first.tree.root, E, sender=settler)
    publish({ALICE: 2 * E})
    with reverts(vault.RevenueVaultRootAlreadyPublished, root=raw(first.tree.root), epoch=first.epoch):
        vault.publishRoot(first.epoch + 5, first.tree.root, 2 * E, sender=settler)


def test_publish_while_a_root_is_pending_reverts(vault, publish, settler, reverts):
    """One root is pending at a time: the next one waits for its activation or revocation."""
    pending = publish({ALICE: E}, activate=False)
    with reverts(vault.RevenueVaultRootPending, epoch=pending.epoch, activatesAt=pending.activates_at):
        vault.publishRoot(pending.epoch + 1, b"\x04" * 32, 2 * E, sender=settler)


def test_publish_rejects_a_total_below_the_active_total(vault, publish, settler, reverts):
    """Balances are cumulative: a lower total than the active root's reverts with RevenueVaultTotalDecreased."""
    publish({ALICE: 5 * E, BOB: 5 * E})
    with reverts(vault.RevenueVaultTotalDecreased, total=10 * E - 1, activeTotal=10 * E):
        vault.publishRoot(vault.lastEpoch() + 1, b"\x05" * 32, 10 * E - 1, sender=settler)


def test_publish_compares_totals_with_the_active_root_not_a_revoked_one(vault, publish, guardian):
    """After a revocation the next total only has to reach the still-active root's total."""
    publish({ALICE: 5 * E})
    revoked = publish({ALICE: 9 * E}, activate=False)
    vault.revokeRoot(revoked.epoch, sender=guardian)
    assert publish({ALICE: 6 * E}).total == 6 * E


def test_publish_rejects_a_total_above_the_deposits_with_the_shortfall(vault, settler, reverts):
    """A total above totalDeposited reverts with RevenueVaultInsufficientDeposits and the shortfall."""
    with reverts(vault.RevenueVaultInsufficientDeposits, total=FUND + 3, deposited=FUND, shortfall=3):
        vault.publishRoot(1, b"\x07" * 32, FUND + 3, sender=settler)


def test_publish_accepts_a_total_of_exactly_the_deposits(vault, publish):
    """A root may commit every token deposited, to the last base unit."""
    assert publish({ALICE: FUND - 1, BOB: 1}).total == vault.totalDeposited()


def test_claims_do_not_shrink_what_may_be_committed(vault, publish, token, other, settler, reverts):
    """Cumulative totals are checked against cumulative deposits: what was paid out still counts."""
    root = publish({ALICE: 400_000 * E, BOB: 600_000 * E})
    vault.claim(*root.leaf(ALICE), sender=other)
    assert token.balanceOf(vault) == FUND - 400_000 * E
    assert vault.totalDeposited() == FUND
    publish({ALICE: 400_000 * E, BOB: 600_000 * E, CAROL: 0})  # the whole fund, though 40% is paid
    with reverts(vault.RevenueVaultInsufficientDeposits, total=FUND + 1, deposited=FUND, shortfall=1):
        vault.publishRoot(vault.lastEpoch() + 1, b"\x08" * 32, FUND + 1, sender=settler)


def test_new_revenue_makes_a_higher_total_publishable(vault, publish, token, deployer):
    """A deposit (new revenue) raises what the next root may commit."""
    publish({ALICE: FUND})
    token.approve(vault, 50 * E, sender=deployer)
    vault.deposit(ASSET, 50 * E, sender=deployer)
    assert publish({ALICE: FUND, BOB: 50 * E}).total == FUND + 50 * E


def test_donations_never_make_a_root_publishable(vault, token, deployer, settler, reverts):
    """Tokens sent by plain transfer stay in the vault outside the accounting: the check still refuses."""
    token.transfer(vault, 50 * E, sender=deployer)
    assert token.balanceOf(vault) == FUND + 50 * E
    assert vault.totalDeposited() == FUND
    with reverts(vault.RevenueVaultInsufficientDeposits, total=FUND + E, deposited=FUND, shortfall=E):
        vault.publishRoot(1, b"\x0b" * 32, FUND + E, sender=settler)


def test_publish_rejects_an_epoch_beyond_64_bits(vault, settler, reverts):
    """Epochs are stored in 64 bits: 2^64 reverts with SafeCastOverflowedUintDowncast."""
    with reverts(vault.SafeCastOverflowedUintDowncast, bits=64, value=2**64):
        vault.publishRoot(2**64, b"\x09" * 32, 0, sender=settler)


def test_publish_while_paused_reverts(vault, guardian, settler, reverts):
    """Publishing stops while paused."""
    vault.pause(sender=guardian)
    with reverts(vault.EnforcedPause):
        vault.publishRoot(1, b"\x0a" * 32, 0, sender=settler)


# --------------------------------------------------------------------------------------------------
# Revenue


def test_deposit_pulls_the_tokens_and_counts_them(vault, token, holder):
    """deposit moves the amount from the caller into the vault and emits RevenueDeposited."""
    balance = token.balanceOf(holder)
    token.approve(vault, 30 * E, sender=holder)
    receipt = vault.deposit(42, 30 * E, sender=holder)
    [event] = receipt.events.filter(vault.RevenueDeposited)
    assert (event.source, event.assetId, event.amount, event.totalDeposited) == (
        holder.address,
        42,
        30 * E,
        FUND + 30 * E,
    )
    [transfer] = receipt.events.filter(token.Transfer)
    assert (transfer.event_arguments["from"], transfer.to, transfer.value) == (
        holder.address,
        vault.address,
        30 * E,
    )
    assert token.balanceOf(holder) == balance - 30 * E
    assert token.balanceOf(vault) == FUND + 30 * E
    assert token.allowance(holder, vault) == 0
    assert vault.totalDeposited() == FUND + 30 * E


def test_deposit_without_allowance_reverts_with_the_token_error(vault, token, holder, reverts):
    """A deposit the caller did not approve reverts with the token's ERC20InsufficientAllowance."""
    token.approve(vault, E - 1, sender=holder)
    with reverts(token.ERC20InsufficientAllowance, spender=vault, allowance=E - 1, needed=E):
        vault.deposit(ASSET, E, sender=holder)
    assert vault.totalDeposited() == FUND


def test_deposit_without_balance_reverts_with_the_token_error(vault, token, other, reverts):
    """A deposit above the caller's balance reverts with the token's ERC20InsufficientBalance."""
    balance = token.balanceOf(other)
    token.approve(vault, balance + 1, sender=other)
    with reverts(token.ERC20InsufficientBalance, sender=other, balance=balance, needed=balance + 1):
        vault.deposit(ASSET, balance + 1, sender=other)


def test_record_revenue_counts_what_the_source_paid_in(vault, token, source, deployer):
    """A revenue source transfers the fee into the vault, then records it with recordRevenue."""
    token.transfer(vault, 12 * E, sender=deployer)  # the source's transfer, in its own transaction here
    receipt = vault.recordRevenue(3, 12 * E, sender=source)
    [event] = receipt.events.filter(vault.RevenueDeposited)
    assert (event.source, event.assetId, event.amount, event.totalDeposited) == (
        source.address,
        3,
        12 * E,
        FUND + 12 * E,
    )
    assert not receipt.events.filter(token.Transfer)  # the vault moves nothing itself
    assert vault.totalDeposited() == FUND + 12 * E


def test_record_revenue_requires_the_revenue_source_role(vault, settler, admin, reverts):
    """Anyone else, the admin and the settler included, gets AccessControlUnauthorizedAccount naming
    REVENUE_SOURCE_ROLE."""
    for sender in (admin, settler):
        with reverts(
            vault.AccessControlUnauthorizedAccount, account=sender, neededRole=vault.REVENUE_SOURCE_ROLE()
        ):
            vault.recordRevenue(ASSET, E, sender=sender)


def test_revenue_comes_in_while_paused(vault, token, guardian, source, holder):
    """Pausing stops roots and claims, not revenue: deposits and recorded fees still count."""
    vault.pause(sender=guardian)
    token.approve(vault, E, sender=holder)
    vault.deposit(ASSET, E, sender=holder)
    vault.recordRevenue(ASSET, 0, sender=source)  # a free license
    assert vault.totalDeposited() == FUND + E


# --------------------------------------------------------------------------------------------------
# Revoking


def test_guardian_revokes_a_pending_root_and_the_active_one_stays(vault, publish, guardian, other, token):
    """Revoking the pending root leaves the previous root in force, also after the revoked one's time."""
    first = publish({ALICE: 5 * E, BOB: 5 * E})
    bad = publish({ALICE: 500 * E, BOB: 5 * E}, activate=False)
    receipt = vault.revokeRoot(bad.epoch, sender=guardian)
    [event] = receipt.events.filter(vault.RootRevoked)
    assert (event.epoch, event.by) == (bad.epoch, guardian.address)
    assert vault.pendingRoot() == (b"\x00" * 32, 0, 0, 0)
    assert vault.activeRoot() == (raw(first.tree.root), first.epoch, 10 * E)
    vault.claim(*first.leaf(ALICE), sender=other)
    assert token.balanceOf(ALICE) == 5 * E


def test_revoked_root_never_becomes_claimable(vault, publish, guardian, other, chain, reverts):
    """Once its activation time passes, a revoked root's proofs are still refused."""
    first = publish({ALICE: 5 * E})
    bad = publish({ALICE: 500 * E}, activate=False)
    vault.revokeRoot(bad.epoch, sender=guardian)
    chain.mine(timestamp=bad.activates_at + 1)
    with reverts(vault.RevenueVaultInvalidProof, account=ALICE, cumulativeAmount=500 * E, epoch=first.epoch):
        vault.claim(*bad.leaf(ALICE), sender=other)


def test_revoked_root_can_be_published_again(vault, publish, guardian, other, token):
    """A root revoked by mistake can be published again under a new epoch and then claimed."""
    root = publish({ALICE: 5 * E}, activate=False)
    vault.revokeRoot(root.epoch, sender=guardian)
    again = publish({ALICE: 5 * E})
    assert again.epoch == root.epoch + 1
    receipt = vault.claim(*again.leaf(ALICE), sender=other)
    assert [e.epoch for e in receipt.events.filter(vault.Claimed)] == [again.epoch]
    assert token.balanceOf(ALICE) == 5 * E


def test_admin_can_revoke(vault, publish, admin):
    """The admin holds the guardian's revoking power too."""
    root = publish({ALICE: E}, activate=False)
    vault.revokeRoot(root.epoch, sender=admin)
    assert vault.pendingRoot()[0] == b"\x00" * 32


def test_revoke_requires_guardian_or_admin(vault, publish, settler, reverts):
    """Anyone else, the settler included, gets AccessControlUnauthorizedAccount naming GUARDIAN_ROLE."""
    root = publish({ALICE: E}, activate=False)
    with reverts(vault.AccessControlUnauthorizedAccount, account=settler, neededRole=vault.GUARDIAN_ROLE()):
        vault.revokeRoot(root.epoch, sender=settler)


def test_revoke_of_an_unknown_epoch_reverts(vault, publish, guardian, reverts):
    """Revoking an epoch that is not pending reverts with RevenueVaultNoPendingRoot."""
    with reverts(vault.RevenueVaultNoPendingRoot, epoch=0):
        vault.revokeRoot(0, sender=guardian)
    root = publish({ALICE: E}, activate=False)
    with reverts(vault.RevenueVaultNoPendingRoot, epoch=root.epoch + 1):
        vault.revokeRoot(root.epoch + 1, sender=guardian)
    vault.revokeRoot(root.epoch, sender=guardian)
    with reverts(vault.RevenueVaultNoPendingRoot, epoch=root.epoch):
        vault.revokeRoot(root.epoch, sender=guardian)


def test_revoke_of_an_active_root_reverts(vault, publish, guardian, chain, reverts):
    """Active roots cannot be revoked: the latest once activated, and the one a pending root replaces."""
    first = publish({ALICE: E})
    with reverts(vault.RevenueVaultRootAlreadyActive, epoch=first.epoch):
        vault.revokeRoot(first.epoch, sender=guardian)
    second = publish({ALICE: 2 * E}, activate=False)
    with reverts(vault.RevenueVaultRootAlreadyActive, epoch=first.epoch):
        vault.revokeRoot(first.epoch, sender=guardian)
    chain.pending_timestamp = second.activates_at
    with reverts(vault.RevenueVaultRootAlreadyActive, epoch=second.epoch):
        vault.revokeRoot(second.epoch, sender=guardian)


def test_revoking_the_first_root_leaves_nothing_to_claim(vault, publish, guardian, other, chain, reverts):
    """With the only root revoked there is no active root: claims revert with RevenueVaultNoActiveRoot."""
    root = publish({ALICE: E}, activate=False)
    vault.revokeRoot(root.epoch, sender=guardian)
    chain.mine(timestamp=root.activates_at)
    assert vault.activeRoot() == (b"\x00" * 32, 0, 0)
    with reverts(vault.RevenueVaultNoActiveRoot):
        vault.claim(*root.leaf(ALICE), sender=other)


def test_revoke_works_while_paused(vault, publish, guardian):
    """The guardian can pause first and revoke after: revoking is not paused."""
    root = publish({ALICE: E}, activate=False)
    vault.pause(sender=guardian)
    vault.revokeRoot(root.epoch, sender=guardian)
    assert vault.pendingRoot()[0] == b"\x00" * 32


# --------------------------------------------------------------------------------------------------
# Claiming


def test_claim_pays_the_cumulative_amount(vault, publish, token, other):
    """A first claim pays the whole cumulative amount and records it."""
    root = publish({ALICE: 5 * E, BOB: 7 * E})
    receipt = vault.claim(*root.leaf(ALICE), sender=other)
    [event] = receipt.events.filter(vault.Claimed)
    assert (event.account, event.amount, event.cumulativeAmount, event.epoch) == (
        ALICE,
        5 * E,
        5 * E,
        root.epoch,
    )
    [transfer] = receipt.events.filter(token.Transfer)
    assert (transfer.event_arguments["from"], transfer.to, transfer.value) == (vault.address, ALICE, 5 * E)
    assert token.balanceOf(ALICE) == 5 * E
    assert token.balanceOf(vault) == FUND - 5 * E
    assert vault.claimed(ALICE) == 5 * E
    assert vault.claimed(BOB) == 0


def test_anyone_may_submit_a_claim_and_the_leaf_account_is_paid(vault, publish, token, other, holder):
    """A relayer submitting someone's claim pays gas and receives nothing; the leaf's account is paid."""
    root = publish({ALICE: 5 * E, holder.address: 3 * E})
    relayer_balance = token.balanceOf(other)
    vault.claim(*root.leaf(ALICE), sender=other)
    vault.claim(*root.leaf(holder.address), sender=other)
    assert token.balanceOf(other) == relayer_balance
    assert token.balanceOf(ALICE) == 5 * E
    assert vault.claimed(holder) == 3 * E


def test_later_claim_pays_only_the_difference(vault, publish, token, other):
    """After a new epoch raised the cumulative amount, a claim pays the increase only."""
    first = publish({ALICE: 5 * E, BOB: 7 * E})
    vault.claim(*first.leaf(ALICE), sender=other)
    second = publish({ALICE: 8 * E, BOB: 7 * E})
    receipt = vault.claim(*second.leaf(ALICE), sender=other)
    [event] = receipt.events.filter(vault.Claimed)
    assert (event.amount, event.cumulativeAmount, event.epoch) == (3 * E, 8 * E, second.epoch)
    assert token.balanceOf(ALICE) == 8 * E
    assert vault.claimed(ALICE) == 8 * E


def test_one_claim_covers_every_epoch_since_the_last(vault, publish, token, other):
    """Twelve epochs later, one claim pays everything earned in them."""
    for month in range(1, 13):
        root = publish({ALICE: month * 10 * E, BOB: month * E})
    receipt = vault.claim(*root.leaf(ALICE), sender=other)
    [event] = receipt.events.filter(vault.Claimed)
    assert (event.amount, event.epoch) == (120 * E, 12)
    assert token.balanceOf(ALICE) == 120 * E


def test_claiming_twice_reverts(vault, publish, other, reverts):
    """The same claim again reverts with RevenueVaultNothingToClaim: nothing is paid twice."""
    root = publish({ALICE: 5 * E})
    vault.claim(*root.leaf(ALICE), sender=other)
    with reverts(vault.RevenueVaultNothingToClaim, account=ALICE, cumulativeAmount=5 * E, claimed=5 * E):
        vault.claim(*root.leaf(ALICE), sender=other)


def test_zero_cumulative_amount_has_nothing_to_claim(vault, publish, other, reverts):
    """An account with a zero leaf has nothing to claim."""
    root = publish({ALICE: 5 * E, BOB: 0})
    with reverts(vault.RevenueVaultNothingToClaim, account=BOB, cumulativeAmount=0, claimed=0):
        vault.claim(*root.leaf(BOB), sender=other)


def test_unchanged_balance_in_a_new_root_has_nothing_to_claim(vault, publish, other, reverts):
    """An account whose cumulative amount did not grow has nothing new to claim under the next root."""
    first = publish({ALICE: 5 * E, BOB: 1 * E})
    vault.claim(*first.leaf(ALICE), sender=other)
    second = publish({ALICE: 5 * E, BOB: 2 * E})
    with reverts(vault.RevenueVaultNothingToClaim, account=ALICE, cumulativeAmount=5 * E, claimed=5 * E):
        vault.claim(*second.leaf(ALICE), sender=other)


def test_claim_with_a_wrong_amount_or_proof_reverts(vault, publish, other, reverts):
    """Another amount, another account or a truncated proof reverts with RevenueVaultInvalidProof."""
    root = publish({ALICE: 5 * E, BOB: 7 * E, CAROL: 1})
    account, amount, proof = root.leaf(ALICE)
    cases = [
        (ALICE, amount + 1, proof),
        (BOB, amount, proof),
        (ALICE, amount, proof[:-1]),
        (ALICE, amount, []),
    ]
    for case in cases:
        with reverts(
            vault.RevenueVaultInvalidProof, account=case[0], cumulativeAmount=case[1], epoch=root.epoch
        ):
            vault.claim(*case, sender=other)


def test_superseded_root_proofs_are_refused(vault, publish, other, reverts):
    """Once the next root is active, proofs of the previous root no longer verify."""
    first = publish({ALICE: 5 * E, BOB: 1})
    second = publish({ALICE: 8 * E, BOB: 1})
    with reverts(vault.RevenueVaultInvalidProof, account=ALICE, cumulativeAmount=5 * E, epoch=second.epoch):
        vault.claim(*first.leaf(ALICE), sender=other)


def test_claims_use_the_active_root_while_the_next_is_pending(vault, publish, chain, other, token, reverts):
    """Until its activation time a pending root's proofs are refused and the active root's work."""
    first = publish({ALICE: 5 * E, BOB: 1})
    second = publish({ALICE: 8 * E, BOB: 1}, activate=False)
    with reverts(vault.RevenueVaultInvalidProof, account=ALICE, cumulativeAmount=8 * E, epoch=first.epoch):
        vault.claim(*second.leaf(ALICE), sender=other)
    vault.claim(*first.leaf(ALICE), sender=other)
    chain.mine(timestamp=second.activates_at)
    vault.claim(*second.leaf(ALICE), sender=other)
    assert token.balanceOf(ALICE) == 8 * E


def test_claim_without_any_root_reverts(vault, other, reverts):
    """Before the first root activates, claims revert with RevenueVaultNoActiveRoot."""
    with reverts(vault.RevenueVaultNoActiveRoot):
        vault.claim(ALICE, E, [], sender=other)


def test_claim_beyond_the_balance_bubbles_the_token_error(vault, publish, token, other, reverts):
    """A tree whose leaves add up to more than its total cannot make the vault pay more than it holds."""
    root = publish({ALICE: FUND + 1, BOB: 1}, total=FUND)
    with reverts(token.ERC20InsufficientBalance, sender=vault, balance=FUND, needed=FUND + 1):
        vault.claim(*root.leaf(ALICE), sender=other)


def test_claim_many_pays_every_account(vault, publish, token, other):
    """claimMany pays each account its difference and emits one Claimed each."""
    first = publish({ALICE: 1 * E, BOB: 2 * E, CAROL: 3 * E})
    vault.claim(*first.leaf(BOB), sender=other)
    root = publish({ALICE: 2 * E, BOB: 4 * E, CAROL: 6 * E})
    leaves = [root.leaf(a) for a in (ALICE, BOB, CAROL)]
    receipt = vault.claimMany(*map(list, zip(*leaves, strict=True)), sender=other)
    assert [(e.account, e.amount) for e in receipt.events.filter(vault.Claimed)] == [
        (ALICE, 2 * E),
        (BOB, 2 * E),
        (CAROL, 6 * E),
    ]
    assert [token.balanceOf(a) for a in (ALICE, BOB, CAROL)] == [2 * E, 4 * E, 6 * E]
    assert [vault.claimed(a) for a in (ALICE, BOB, CAROL)] == [2 * E, 4 * E, 6 * E]


def test_claim_many_rejects_arrays_of_different_lengths(vault, publish, other, reverts):
    """claimMany with mismatched arrays reverts with all three lengths."""
    root = publish({ALICE: E, BOB: E})
    account, amount, proof = root.leaf(ALICE)
    with reverts(vault.RevenueVaultLengthMismatch, accounts=2, amounts=1, proofs=1):
        vault.claimMany([account, BOB], [amount], [proof], sender=other)
    with reverts(vault.RevenueVaultLengthMismatch, accounts=1, amounts=1, proofs=0):
        vault.claimMany([account], [amount], [], sender=other)


def test_claim_many_is_all_or_nothing(vault, publish, token, other, reverts):
    """One already-claimed account in the batch reverts the whole batch."""
    root = publish({ALICE: E, BOB: 2 * E})
    vault.claim(*root.leaf(BOB), sender=other)
    leaves = [root.leaf(ALICE), root.leaf(BOB)]
    with reverts(vault.RevenueVaultNothingToClaim, account=BOB, cumulativeAmount=2 * E, claimed=2 * E):
        vault.claimMany(*map(list, zip(*leaves, strict=True)), sender=other)
    assert token.balanceOf(ALICE) == 0


def test_claim_many_with_the_same_account_twice_pays_once(vault, publish, other, reverts):
    """Listing an account twice in one batch is a double claim: the batch reverts."""
    root = publish({ALICE: E, BOB: E})
    leaves = [root.leaf(ALICE), root.leaf(ALICE)]
    with reverts(vault.RevenueVaultNothingToClaim, account=ALICE, cumulativeAmount=E, claimed=E):
        vault.claimMany(*map(list, zip(*leaves, strict=True)), sender=other)


def test_claims_with_proofs_built_by_the_npm_library(vault, settler, chain, token, other):
    """A root and proofs built by @openzeppelin/merkle-tree (node) verify and pay on-chain."""
    balances = [[contributor(100 + i), str((i + 1) * 10**15 + i)] for i in range(37)]
    request = {"op": "of", "values": balances, "leafEncoding": ["address", "uint256"]}
    answer = json.loads(
        subprocess.run(
            ["node", str(REFERENCE)], input=json.dumps(request), capture_output=True, text=True, check=True
        ).stdout
    )
    total = sum(int(amount) for _, amount in balances)
    receipt = vault.publishRoot(1, answer["root"], total, sender=settler)
    chain.mine(timestamp=receipt.events.filter(vault.RootPublished)[0].activatesAt)
    for i in (0, 17, 36):
        account, amount = balances[i]
        vault.claim(account, int(amount), answer["proofs"][i], sender=other)
        assert token.balanceOf(account) == int(amount)
    assert StandardMerkleTree.load(answer["dump"]).root == answer["root"]


# --------------------------------------------------------------------------------------------------
# Administration


def test_admin_sets_the_activation_delay_for_new_roots(vault, publish, admin, chain):
    """A new delay applies to roots published after it; a pending root keeps its activation time."""
    pending = publish({ALICE: E}, activate=False)
    receipt = vault.setActivationDelay(DAY, sender=admin)
    [event] = receipt.events.filter(vault.ActivationDelaySet)
    assert (event.oldDelay, event.newDelay) == (DELAY, DAY)
    assert vault.activationDelay() == DAY
    assert vault.pendingRoot()[3] == pending.activates_at
    chain.mine(timestamp=pending.activates_at)
    start = chain.pending_timestamp
    assert publish({ALICE: 2 * E}, activate=False).activates_at == start + DAY


def test_zero_delay_activates_roots_at_once(vault, publish, admin, other, token):
    """With no delay a root is claimable in the block after it is published."""
    vault.setActivationDelay(0, sender=admin)
    root = publish({ALICE: E}, activate=False)
    assert vault.activeRoot()[1] == root.epoch
    vault.claim(*root.leaf(ALICE), sender=other)
    assert token.balanceOf(ALICE) == E


def test_set_activation_delay_requires_admin(vault, guardian, reverts):
    """Only the admin sets the delay."""
    with reverts(
        vault.AccessControlUnauthorizedAccount, account=guardian, neededRole=vault.DEFAULT_ADMIN_ROLE()
    ):
        vault.setActivationDelay(DAY, sender=guardian)


def test_set_activation_delay_rejects_more_than_30_days(vault, admin, reverts):
    """A delay above MAX_ACTIVATION_DELAY reverts with RevenueVaultActivationDelayTooLong."""
    vault.setActivationDelay(MAX_DELAY, sender=admin)
    with reverts(vault.RevenueVaultActivationDelayTooLong, delay=MAX_DELAY + 1, maxDelay=MAX_DELAY):
        vault.setActivationDelay(MAX_DELAY + 1, sender=admin)


def test_admin_sets_the_protocol_fee(vault, admin):
    """The fee starts at zero; the admin sets it up to 10,000 bps and ProtocolFeeSet records the change."""
    assert vault.protocolFeeBps() == 0
    receipt = vault.setProtocolFeeBps(500, sender=admin)
    [event] = receipt.events.filter(vault.ProtocolFeeSet)
    assert (event.previousBps, event.newBps) == (0, 500)
    vault.setProtocolFeeBps(10_000, sender=admin)
    assert vault.protocolFeeBps() == 10_000


def test_set_protocol_fee_requires_admin(vault, guardian, reverts):
    """Only the admin sets the fee."""
    with reverts(
        vault.AccessControlUnauthorizedAccount, account=guardian, neededRole=vault.DEFAULT_ADMIN_ROLE()
    ):
        vault.setProtocolFeeBps(100, sender=guardian)


def test_set_protocol_fee_rejects_more_than_all_revenue(vault, admin, reverts):
    """A fee above 10,000 bps reverts with RevenueVaultProtocolFeeTooHigh."""
    with reverts(vault.RevenueVaultProtocolFeeTooHigh, feeBps=10_001, maxFeeBps=10_000):
        vault.setProtocolFeeBps(10_001, sender=admin)
    assert vault.protocolFeeBps() == 0


def test_guardian_pauses_claims_and_only_the_admin_unpauses(vault, publish, guardian, admin, other, reverts):
    """The guardian pauses; claims revert with EnforcedPause; the guardian cannot unpause, the admin can."""
    root = publish({ALICE: E, BOB: E})
    receipt = vault.pause(sender=guardian)
    assert [e.account for e in receipt.events.filter(vault.Paused)] == [guardian.address]
    assert vault.paused()
    with reverts(vault.EnforcedPause):
        vault.claim(*root.leaf(ALICE), sender=other)
    with reverts(vault.EnforcedPause):
        vault.claimMany(*map(list, zip(root.leaf(BOB), strict=True)), sender=other)
    with reverts(vault.EnforcedPause):
        vault.claim(ALICE, 123, [], sender=other)  # a wrong proof too: pausing is said first
    with reverts(
        vault.AccessControlUnauthorizedAccount, account=guardian, neededRole=vault.DEFAULT_ADMIN_ROLE()
    ):
        vault.unpause(sender=guardian)
    receipt = vault.unpause(sender=admin)
    assert [e.account for e in receipt.events.filter(vault.Unpaused)] == [admin.address]
    vault.claim(*root.leaf(ALICE), sender=other)


def test_admin_can_pause(vault, admin):
    """The admin holds the guardian's pausing power too."""
    vault.pause(sender=admin)
    assert vault.paused()


def test_pause_requires_guardian_or_admin(vault, settler, reverts):
    """Anyone else gets AccessControlUnauthorizedAccount naming GUARDIAN_ROLE."""
    with reverts(vault.AccessControlUnauthorizedAccount, account=settler, neededRole=vault.GUARDIAN_ROLE()):
        vault.pause(sender=settler)


def test_pausing_twice_or_unpausing_when_running_reverts(vault, guardian, admin, reverts):
    """Pausable's own errors: EnforcedPause when paused already, ExpectedPause when not paused."""
    with reverts(vault.ExpectedPause):
        vault.unpause(sender=admin)
    vault.pause(sender=guardian)
    with reverts(vault.EnforcedPause):
        vault.pause(sender=guardian)


def test_pause_covers_a_root_that_activates_while_paused(
    vault, publish, guardian, admin, chain, other, reverts
):
    """A pending root whose activation time passes during the pause is paused as well."""
    first = publish({ALICE: E, BOB: E})
    second = publish({ALICE: 2 * E, BOB: 2 * E}, activate=False)
    vault.pause(sender=guardian)
    chain.mine(timestamp=second.activates_at)
    for root in (first, second):
        with reverts(vault.EnforcedPause):
            vault.claim(*root.leaf(ALICE), sender=other)
    vault.unpause(sender=admin)
    vault.claim(*second.leaf(ALICE), sender=other)


def test_renouncing_a_role_for_another_account_reverts(vault, guardian, other, reverts):
    """AccessControl's own check: renounceRole must name the caller (AccessControlBadConfirmation)."""
    with reverts(vault.AccessControlBadConfirmation):
        vault.renounceRole(vault.GUARDIAN_ROLE(), guardian, sender=other)


def test_dao_timelock_as_admin_changes_the_delay_through_governance(
    project, token, timelock, guardian, deployer, enact
):
    """With the DAO timelock as admin, an executed proposal sets the activation delay."""
    vault = project.RevenueVault.deploy(token, timelock, deployer, guardian, DELAY, sender=deployer)
    _, receipt = enact(
        [(vault, 0, vault.setActivationDelay.encode_input(DAY))], "Vault: one-day activation delay"
    )
    [event] = receipt.events.filter(vault.ActivationDelaySet)
    assert (event.oldDelay, event.newDelay) == (DELAY, DAY)
    assert vault.activationDelay() == DAY


# --------------------------------------------------------------------------------------------------
# Accounting across roots


def test_payments_add_up_across_roots_and_revocations(vault, publish, guardian, other, token):
    """What left the vault is every payment, whichever root it was made under, revoked roots changing nothing."""
    r1 = publish({ALICE: 1 * E, BOB: 2 * E})
    vault.claim(*r1.leaf(ALICE), sender=other)
    r2 = publish({ALICE: 3 * E, BOB: 2 * E})
    vault.claim(*r2.leaf(BOB), sender=other)
    r3 = publish({ALICE: 4 * E, BOB: 4 * E, CAROL: 1 * E})
    vault.claim(*r3.leaf(ALICE), sender=other)
    revoked = publish({ALICE: 9 * E, BOB: 9 * E, CAROL: 9 * E}, activate=False)
    vault.revokeRoot(revoked.epoch, sender=guardian)
    r5 = publish({ALICE: 5 * E, BOB: 5 * E, CAROL: 2 * E})
    vault.claim(*r5.leaf(CAROL), sender=other)
    assert [vault.claimed(a) for a in (ALICE, BOB, CAROL)] == [4 * E, 2 * E, 2 * E]
    assert token.balanceOf(vault) == vault.totalDeposited() - 8 * E
    assert vault.totalCommitted() == 12 * E


def test_claim_gas_on_a_hundred_thousand_leaf_tree(vault, publish, deployer, token, other):
    """The issue's targets: a first claim with a 17-hash proof within 100,000 gas, a later one within 66,000.

    bench/gas_vault.py prints these with their anchors; this guards them in the test suite.
    """
    balances = {contributor(1000 + i): 10**12 + i for i in range(100_000)}
    token.approve(vault, sum(balances.values()) * 2, sender=deployer)
    vault.deposit(ASSET, sum(balances.values()) * 2, sender=deployer)
    first = publish(balances)
    account = next(a for a in balances if len(first.tree.get_proof((a, balances[a]))) == 17)
    gas_first = vault.claim(*first.leaf(account), sender=other).gas_used
    second = publish({a: v * 2 for a, v in balances.items()})
    gas_later = vault.claim(*second.leaf(account), sender=other).gas_used
    assert gas_first <= 100_000
    assert gas_later <= 66_000
