"""SaharaVestingWallet: cliff, linear release to the beneficiary, and delegation of the locked votes.

Errors in the ABI that no call can reach, so no test triggers them:
- InsufficientBalance (Address.sendValue): `release()` sends at most what was vested out of the
  wallet's own ETH balance.
- SafeERC20FailedOperation: raised only for a token whose `transfer` returns false or has no code;
  every token in this project is a compliant OpenZeppelin ERC-20 (and `releasable` of an address
  without code already reverts while reading its balance).
- SafeCastOverflowedUintDowncast: the only cast narrows `duration()`, itself stored as a uint64.
"""

import pytest


@pytest.fixture
def vest_times(vesting_wallet):
    """The wallet's schedule read back from the chain: start, cliff, end and duration."""
    start, duration = vesting_wallet.start(), vesting_wallet.duration()
    return start, vesting_wallet.cliff(), start + duration, duration


def test_wallet_holds_genesis_allocation_on_schedule(vesting_wallet, token, beneficiary, params, vest_times):
    """The team wallet holds its genesis allocation with a one-year cliff on four-year vesting."""
    start, cliff, end, duration = vest_times
    assert vesting_wallet.owner() == beneficiary.address
    assert duration == params.VESTING_DURATION
    assert cliff == start + params.VESTING_CLIFF
    assert vesting_wallet.end() == end
    assert token.balanceOf(vesting_wallet) == params.VESTING


def test_nothing_vests_before_the_cliff(vesting_wallet, token, chain, beneficiary, params, vest_times):
    """Up to the second before the cliff nothing is vested, and a release transfers nothing."""
    start, cliff, _, _ = vest_times
    assert vesting_wallet.vestedAmount(token, start) == 0
    assert vesting_wallet.vestedAmount(token, cliff - 1) == 0
    chain.mine(timestamp=cliff - 2)
    receipt = vesting_wallet.release(token, sender=beneficiary)  # mined at cliff - 1
    assert receipt.timestamp == cliff - 1
    [released] = receipt.events.filter(vesting_wallet.ERC20Released)
    assert (released.token, released.amount) == (token.address, 0)
    assert token.balanceOf(beneficiary) == 0
    assert token.balanceOf(vesting_wallet) == params.VESTING


def test_vesting_is_linear_after_the_cliff(vesting_wallet, token, params, vest_times):
    """From the cliff on, the vested amount grows linearly from start to end."""
    start, cliff, end, duration = vest_times
    total = params.VESTING
    assert vesting_wallet.vestedAmount(token, cliff) == total * (cliff - start) // duration == total // 4
    assert vesting_wallet.vestedAmount(token, start + duration // 2) == total // 2
    assert vesting_wallet.vestedAmount(token, end - 1) == total * (duration - 1) // duration
    assert vesting_wallet.vestedAmount(token, end) == total
    assert vesting_wallet.vestedAmount(token, end + 10 * params.YEAR) == total


def test_beneficiary_releases_vested_tokens(vesting_wallet, token, chain, beneficiary, params, vest_times):
    """The beneficiary's release transfers exactly what has vested since the last release."""
    start, _, _, duration = vest_times
    total = params.VESTING
    chain.mine(timestamp=start + duration // 2 - 1)
    first = vesting_wallet.release(token, sender=beneficiary)
    first_amount = total * (first.timestamp - start) // duration
    assert first_amount == total // 2
    [event] = first.events.filter(vesting_wallet.ERC20Released)
    assert event.amount == first_amount
    assert token.balanceOf(beneficiary) == first_amount
    assert vesting_wallet.released(token) == first_amount

    chain.mine(timestamp=start + 3 * duration // 4 - 1)
    second = vesting_wallet.release(token, sender=beneficiary)
    vested = total * (second.timestamp - start) // duration
    assert token.balanceOf(beneficiary) == vested
    assert vesting_wallet.released(token) == vested
    assert token.balanceOf(vesting_wallet) == total - vested
    assert vesting_wallet.releasable(token) == 0


def test_release_by_anyone_pays_the_beneficiary(
    vesting_wallet, token, chain, beneficiary, other, params, vest_times
):
    """A release triggered by a third party after the end pays the whole allocation to the beneficiary."""
    _, _, end, _ = vest_times
    chain.mine(timestamp=end)
    vesting_wallet.release(token, sender=other)
    assert token.balanceOf(beneficiary) == params.VESTING
    assert token.balanceOf(other) == 0
    assert token.balanceOf(vesting_wallet) == 0


def test_beneficiary_delegates_locked_votes(
    vesting_wallet, token, governor, chain, beneficiary, params, vest_times
):
    """The beneficiary delegates the wallet's locked tokens, which then count as governance votes."""
    assert token.getVotes(beneficiary) == 0
    receipt = vesting_wallet.invoke_transaction("delegate", token, beneficiary, sender=beneficiary)
    [changed] = receipt.events.filter(token.DelegateChanged)
    assert (changed.delegator, changed.fromDelegate, changed.toDelegate) == (
        vesting_wallet.address,
        params.ZERO_ADDRESS,
        beneficiary.address,
    )
    assert token.delegates(vesting_wallet) == beneficiary.address
    assert token.getVotes(beneficiary) == params.VESTING
    chain.mine(deltatime=1)
    assert governor.getVotes(beneficiary, receipt.timestamp) == params.VESTING

    # Released tokens leave the delegated wallet: they vote only once the beneficiary delegates them.
    _, cliff, _, _ = vest_times
    chain.mine(timestamp=cliff)
    vesting_wallet.release(token, sender=beneficiary)
    released = vesting_wallet.released(token)
    assert released > 0
    assert token.getVotes(beneficiary) == params.VESTING - released
    token.invoke_transaction("delegate", beneficiary, sender=beneficiary)
    assert token.getVotes(beneficiary) == params.VESTING


def test_only_beneficiary_can_delegate(vesting_wallet, token, other, params, reverts):
    """Anyone but the beneficiary delegating the wallet's votes reverts with OwnableUnauthorizedAccount."""
    with reverts(vesting_wallet.OwnableUnauthorizedAccount, account=other):
        vesting_wallet.invoke_transaction("delegate", token, other, sender=other)
    assert token.delegates(vesting_wallet) == params.ZERO_ADDRESS


def test_beneficiary_can_hand_over_the_wallet(
    vesting_wallet, token, chain, beneficiary, other, params, reverts, vest_times
):
    """Ownership moves future releases to the new beneficiary and never to the zero address."""
    with reverts(vesting_wallet.OwnableInvalidOwner, owner=params.ZERO_ADDRESS):
        vesting_wallet.transferOwnership(params.ZERO_ADDRESS, sender=beneficiary)
    vesting_wallet.transferOwnership(other, sender=beneficiary)
    assert vesting_wallet.owner() == other.address
    chain.mine(timestamp=vest_times[2])
    vesting_wallet.release(token, sender=beneficiary)
    assert token.balanceOf(other) == params.VESTING
    assert token.balanceOf(beneficiary) == 0


def test_cliff_longer_than_duration_reverts(project, chain, deployer, beneficiary, params, reverts):
    """A cliff longer than the vesting duration reverts with both values."""
    with reverts(
        project.SaharaVestingWallet.InvalidCliffDuration,
        cliffSeconds=params.YEAR + 1,
        durationSeconds=params.YEAR,
    ):
        project.SaharaVestingWallet.deploy(
            beneficiary, chain.pending_timestamp, params.YEAR, params.YEAR + 1, sender=deployer
        )


def test_cliff_equal_to_duration_vests_everything_at_the_end(
    project, token, chain, deployer, beneficiary, params
):
    """A cliff as long as the duration is allowed and vests nothing until the end, then everything."""
    start = chain.pending_timestamp
    wallet = project.SaharaVestingWallet.deploy(beneficiary, start, params.YEAR, params.YEAR, sender=deployer)
    token.transfer(wallet, 1_000 * params.E, sender=deployer)
    assert wallet.vestedAmount(token, start + params.YEAR - 1) == 0
    assert wallet.vestedAmount(token, start + params.YEAR) == 1_000 * params.E


def test_zero_beneficiary_reverts(project, chain, deployer, params, reverts):
    """A vesting wallet for the zero address reverts with OwnableInvalidOwner."""
    with reverts(project.SaharaVestingWallet.OwnableInvalidOwner, owner=params.ZERO_ADDRESS):
        project.SaharaVestingWallet.deploy(
            params.ZERO_ADDRESS, chain.pending_timestamp, params.YEAR, 0, sender=deployer
        )


def test_ether_vests_on_the_same_schedule(project, chain, deployer, beneficiary, params):
    """ETH sent to a wallet vests and releases on the same linear schedule as tokens."""
    start = chain.pending_timestamp
    wallet = project.SaharaVestingWallet.deploy(beneficiary, start, params.YEAR, 0, sender=deployer)
    deployer.transfer(wallet, 10 * params.E)
    chain.mine(timestamp=start + params.YEAR // 2 - 1)
    before = beneficiary.balance
    receipt = wallet.release(sender=deployer)
    [released] = receipt.events.filter(wallet.EtherReleased)
    assert released.amount == 5 * params.E
    assert beneficiary.balance == before + 5 * params.E


def test_ether_release_to_beneficiary_rejecting_ether_reverts(
    project, chain, token, deployer, params, reverts
):
    """Releasing ETH to a beneficiary contract that cannot receive it reverts with FailedCall."""
    start = chain.pending_timestamp
    wallet = project.SaharaVestingWallet.deploy(token, start, params.DAY, 0, sender=deployer)
    deployer.transfer(wallet, params.E)
    chain.mine(timestamp=start + params.DAY)
    with reverts(wallet.FailedCall):
        wallet.release(sender=deployer)
    assert wallet.released() == 0
