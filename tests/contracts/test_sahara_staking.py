"""SaharaStaking: stake SAHARA without losing its votes, unbond after a cooldown, earn SAHARA rewards.

Every custom error of SaharaStaking is triggered below, with its arguments. OpenZeppelin errors in
its ABI: AccessControlUnauthorizedAccount (tested), AccessControlBadConfirmation (tested),
SafeERC20FailedOperation (unreachable: the only token is SAHARA, which reverts rather than return
false, and the staking contract never calls an address without code).
"""

from collections import defaultdict
from dataclasses import dataclass

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

E = 10**18
DAY = 24 * 60 * 60
P = 10**18  # SaharaStaking.REWARD_PRECISION
COOLDOWN = 7 * DAY
MAX_COOLDOWN = 90 * DAY
MAX_REWARD_DURATION = 5 * 365 * DAY
FUNDS = 1_000_000 * E  # given to each undelegated staker
MAX_UINT256 = 2**256 - 1

# Session fixtures first used late would be set up after this module's deployment, which Ape's
# chain isolation warns about (InvalidIsolationWarning): set them up with the first test.
pytestmark = pytest.mark.usefixtures("params", "reverts", "sign_permit", "enact", "governor", "timelock")


def fresh(label):
    """An address that has never held anything: a delegatee that has no votes of its own."""
    return to_checksum_address(keccak(text=f"sahara-staking-test/{label}")[12:])


# --------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def distributor(deployer):
    """Funds reward periods (REWARD_DISTRIBUTOR_ROLE); it holds the undistributed supply."""
    return deployer


@pytest.fixture(scope="module")
def staking(project, token, deployer, distributor):
    """Staking administered by the deployer (the timelock in production), 7-day cooldown."""
    staking = project.SaharaStaking.deploy(token, deployer, COOLDOWN, sender=deployer)
    staking.grantRole(staking.REWARD_DISTRIBUTOR_ROLE(), distributor, sender=deployer)
    return staking


@pytest.fixture(scope="module")
def stakers(accounts, token, staking, deployer, voter, holder):
    """Accounts that approved the staking contract: `voter` and `holder` delegate to themselves;
    the others (recipient, other, spender, guardian) hold FUNDS each and never delegated."""
    undelegated = [accounts[7], accounts[8], accounts[9], accounts[1]]
    for account in undelegated:
        token.transfer(account, FUNDS, sender=deployer)
    for account in (voter, holder, *undelegated):
        token.approve(staking, MAX_UINT256, sender=account)
    return undelegated


@pytest.fixture(scope="module")
def alice(stakers):
    return stakers[0]


@pytest.fixture(scope="module")
def bob(stakers):
    return stakers[1]


@pytest.fixture(scope="module")
def carol(stakers):
    return stakers[2]


@pytest.fixture(scope="module")
def fund(token, staking, distributor):
    """``fund(amount, duration)``: transfers `amount` to the staking contract and notifies it."""

    def _fund(amount, duration):
        token.transfer(staking, amount, sender=distributor)
        return staking.notifyRewardAmount(amount, duration, sender=distributor)

    return _fund


@pytest.fixture(scope="module")
def surrogate_at(project):
    """``surrogate_at(staking, delegatee)``: the CREATE2 address of the delegatee's surrogate."""
    initcode = bytes.fromhex(project.DelegationSurrogate.contract_type.deployment_bytecode.bytecode[2:])

    def _surrogate_at(staking, delegatee):
        token = staking.token()
        args = abi_encode(["address", "address"], [token, getattr(delegatee, "address", delegatee)])
        salt = bytes(12) + bytes.fromhex(getattr(delegatee, "address", delegatee)[2:])
        preimage = b"\xff" + bytes.fromhex(staking.address[2:]) + salt + keccak(initcode + args)
        return to_checksum_address(keccak(preimage)[12:])

    return _surrogate_at


# Hypothesis on the chain: every example costs transactions, so no shrinking (it ran for minutes);
# a failure reports its generated example as is.
ON_CHAIN_PHASES = (Phase.explicit, Phase.reuse, Phase.generate)


def near(actual, expected, tolerance):
    """`actual` is at most `tolerance` wei below `expected` and never above it."""
    return expected - tolerance <= actual <= expected


# --------------------------------------------------------------------------------------------------
# Deployment and administration
# --------------------------------------------------------------------------------------------------


def test_deployment_sets_token_admin_and_cooldown(project, staking, token, deployer, distributor):
    """The contract stakes SAHARA, the admin holds DEFAULT_ADMIN_ROLE, and the cooldown is set with an event."""
    assert staking.token() == token.address
    assert staking.cooldown() == COOLDOWN
    assert staking.hasRole(staking.DEFAULT_ADMIN_ROLE(), deployer)
    assert staking.REWARD_DISTRIBUTOR_ROLE() == keccak(text="REWARD_DISTRIBUTOR_ROLE")
    assert staking.REWARD_PRECISION() == P
    assert staking.MAX_COOLDOWN() == MAX_COOLDOWN
    assert staking.MAX_REWARD_DURATION() == MAX_REWARD_DURATION
    assert (staking.totalStaked(), staking.totalUnbonding(), staking.rewardsOutstanding()) == (0, 0, 0)
    [event] = project.provider.get_receipt(staking.txn_hash).events.filter(staking.CooldownChanged)
    assert (event.oldCooldown, event.newCooldown) == (0, COOLDOWN)


def test_constructor_rejects_cooldown_above_maximum(project, token, deployer, reverts):
    """A cooldown above MAX_COOLDOWN at deployment reverts with SaharaStakingCooldownTooLong."""
    with reverts(
        project.SaharaStaking.SaharaStakingCooldownTooLong,
        cooldown=MAX_COOLDOWN + 1,
        maxCooldown=MAX_COOLDOWN,
    ):
        project.SaharaStaking.deploy(token, deployer, MAX_COOLDOWN + 1, sender=deployer)


def test_admin_sets_cooldown(staking, deployer):
    """The admin changes the cooldown, up to MAX_COOLDOWN, with CooldownChanged."""
    receipt = staking.setCooldown(MAX_COOLDOWN, sender=deployer)
    [event] = receipt.events.filter(staking.CooldownChanged)
    assert (event.oldCooldown, event.newCooldown) == (COOLDOWN, MAX_COOLDOWN)
    assert staking.cooldown() == MAX_COOLDOWN
    staking.setCooldown(0, sender=deployer)
    assert staking.cooldown() == 0


def test_cooldown_above_maximum_reverts(staking, deployer, reverts):
    """Setting a cooldown above MAX_COOLDOWN reverts with SaharaStakingCooldownTooLong."""
    with reverts(staking.SaharaStakingCooldownTooLong, cooldown=MAX_COOLDOWN + 1, maxCooldown=MAX_COOLDOWN):
        staking.setCooldown(MAX_COOLDOWN + 1, sender=deployer)


def test_only_admin_sets_cooldown(staking, other, reverts):
    """Anyone but the admin setting the cooldown reverts with AccessControlUnauthorizedAccount."""
    with reverts(
        staking.AccessControlUnauthorizedAccount, account=other, neededRole=staking.DEFAULT_ADMIN_ROLE()
    ):
        staking.setCooldown(DAY, sender=other)


def test_only_admin_grants_reward_distributor_role(staking, deployer, other, reverts):
    """REWARD_DISTRIBUTOR_ROLE is granted by the admin only; a holder cannot pass it on."""
    role = staking.REWARD_DISTRIBUTOR_ROLE()
    assert staking.getRoleAdmin(role) == staking.DEFAULT_ADMIN_ROLE()
    with reverts(
        staking.AccessControlUnauthorizedAccount, account=other, neededRole=staking.DEFAULT_ADMIN_ROLE()
    ):
        staking.grantRole(role, other, sender=other)
    staking.grantRole(role, other, sender=deployer)
    assert staking.hasRole(role, other)


def test_role_renounced_only_by_its_holder(staking, distributor, other, reverts):
    """Renouncing a role for another account reverts with AccessControlBadConfirmation."""
    role = staking.REWARD_DISTRIBUTOR_ROLE()
    with reverts(staking.AccessControlBadConfirmation):
        staking.renounceRole(role, other, sender=distributor)
    staking.renounceRole(role, distributor, sender=distributor)
    assert not staking.hasRole(role, distributor)


def test_timelock_admin_grants_distributor_role_by_proposal(project, token, timelock, deployer, other, enact):
    """With the DAO timelock as admin, a passed proposal grants REWARD_DISTRIBUTOR_ROLE."""
    staking = project.SaharaStaking.deploy(token, timelock, COOLDOWN, sender=deployer)
    role = staking.REWARD_DISTRIBUTOR_ROLE()
    assert not staking.hasRole(staking.DEFAULT_ADMIN_ROLE(), deployer)
    enact([(staking, 0, staking.grantRole.encode_input(role, other))], "Make other a reward distributor")
    assert staking.hasRole(role, other)


# --------------------------------------------------------------------------------------------------
# Staking and surrogates
# --------------------------------------------------------------------------------------------------


def test_stake_moves_tokens_into_the_delegatee_surrogate(staking, token, alice, surrogate_at):
    """A first stake deploys the delegatee's surrogate with CREATE2 and moves the tokens into it."""
    delegatee = fresh("d1")
    expected_surrogate = surrogate_at(staking, delegatee)
    assert staking.surrogate(delegatee) == "0x" + "00" * 20
    receipt = staking.stake(100 * E, delegatee, sender=alice)

    [deployed] = receipt.events.filter(staking.SurrogateDeployed)
    assert (deployed.delegatee, deployed.surrogate) == (delegatee, expected_surrogate)
    [staked] = receipt.events.filter(staking.Staked)
    assert (staked.account, staked.delegatee, staked.amount) == (alice.address, delegatee, 100 * E)
    assert staking.surrogate(delegatee) == expected_surrogate
    assert token.balanceOf(expected_surrogate) == 100 * E
    assert token.balanceOf(staking) == 0  # stake never sits with the rewards
    assert token.balanceOf(alice) == FUNDS - 100 * E
    assert staking.stakedOf(alice) == 100 * E
    assert staking.delegateeOf(alice) == delegatee
    assert staking.totalStaked() == 100 * E


def test_surrogate_delegates_to_its_delegatee_and_approves_staking(staking, token, alice):
    """The surrogate delegates its tokens to the delegatee and lets the staking contract move them."""
    delegatee = fresh("d2")
    staking.stake(5 * E, delegatee, sender=alice)
    surrogate = staking.surrogate(delegatee)
    assert token.delegates(surrogate) == delegatee
    assert token.allowance(surrogate, staking) == MAX_UINT256


def test_later_stakes_reuse_the_surrogate(staking, token, alice, bob):
    """Stakes by anyone through an existing delegatee go into the same surrogate without deploying."""
    delegatee = fresh("shared")
    staking.stake(10 * E, delegatee, sender=alice)
    surrogate = staking.surrogate(delegatee)
    again = staking.stake(20 * E, delegatee, sender=alice)
    other = staking.stake(30 * E, delegatee, sender=bob)
    assert not list(again.events.filter(staking.SurrogateDeployed))
    assert not list(other.events.filter(staking.SurrogateDeployed))
    assert token.balanceOf(surrogate) == 60 * E
    assert (staking.stakedOf(alice), staking.stakedOf(bob), staking.totalStaked()) == (30 * E, 30 * E, 60 * E)


def test_stake_of_zero_reverts(staking, alice, reverts):
    """Staking nothing reverts with SaharaStakingZeroAmount."""
    with reverts(staking.SaharaStakingZeroAmount):
        staking.stake(0, alice, sender=alice)


def test_stake_to_zero_delegatee_reverts(staking, alice, params, reverts):
    """Staking with the zero address as delegatee reverts with SaharaStakingZeroDelegatee."""
    with reverts(staking.SaharaStakingZeroDelegatee):
        staking.stake(E, params.ZERO_ADDRESS, sender=alice)


def test_stake_under_another_delegatee_reverts(staking, alice, reverts):
    """Staking more under a delegatee other than the current one reverts with SaharaStakingDelegateeMismatch."""
    staking.stake(E, fresh("first"), sender=alice)
    with reverts(
        staking.SaharaStakingDelegateeMismatch,
        account=alice,
        current=fresh("first"),
        requested=fresh("second"),
    ):
        staking.stake(E, fresh("second"), sender=alice)


def test_unbonding_tokens_also_bind_the_delegatee(staking, alice, reverts):
    """While tokens unbond, a new stake must still use their delegatee; once withdrawn, any delegatee goes."""
    staking.stake(E, fresh("first"), sender=alice)
    staking.requestUnstake(E, sender=alice)
    with reverts(
        staking.SaharaStakingDelegateeMismatch,
        account=alice,
        current=fresh("first"),
        requested=fresh("second"),
    ):
        staking.stake(E, fresh("second"), sender=alice)


def test_stake_under_new_delegatee_after_full_withdrawal(staking, chain, token, alice):
    """An account that withdrew everything stakes again under any delegatee."""
    staking.stake(E, fresh("first"), sender=alice)
    staking.requestUnstake(E, sender=alice)
    chain.mine(deltatime=COOLDOWN)
    staking.withdraw(sender=alice)
    staking.stake(2 * E, fresh("second"), sender=alice)
    assert staking.delegateeOf(alice) == fresh("second")
    assert token.balanceOf(staking.surrogate(fresh("second"))) == 2 * E


def test_stake_beyond_allowance_reverts_in_the_token(staking, token, alice, reverts):
    """Staking more than approved reverts with the token's ERC20InsufficientAllowance."""
    token.approve(staking, E, sender=alice)
    with reverts(token.ERC20InsufficientAllowance, spender=staking, allowance=E, needed=E + 1):
        staking.stake(E + 1, alice, sender=alice)
    assert staking.stakedOf(alice) == 0


def _permit_args(signed):
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


def test_stake_with_permit(staking, token, chain, alice, sign_permit):
    """stakeWithPermit stakes on a signed permit, without a prior approval."""
    token.approve(staking, 0, sender=alice)
    deadline = chain.pending_timestamp + 3600
    signed = sign_permit(alice, staking, 40 * E, deadline)
    receipt = staking.stakeWithPermit(40 * E, alice, deadline, *_permit_args(signed), sender=alice)
    [staked] = receipt.events.filter(staking.Staked)
    assert (staked.account, staked.delegatee, staked.amount) == (alice.address, alice.address, 40 * E)
    assert staking.stakedOf(alice) == 40 * E
    assert token.allowance(alice, staking) == 0
    assert token.nonces(alice) == 1


def test_stake_with_front_run_permit_still_stakes(staking, token, chain, alice, other, sign_permit):
    """A permit someone else already submitted is skipped: the allowance it set pays for the stake."""
    token.approve(staking, 0, sender=alice)
    deadline = chain.pending_timestamp + 3600
    signed = sign_permit(alice, staking, 40 * E, deadline)
    token.permit(alice, staking, 40 * E, deadline, *_permit_args(signed), sender=other)
    staking.stakeWithPermit(40 * E, alice, deadline, *_permit_args(signed), sender=alice)
    assert staking.stakedOf(alice) == 40 * E


def test_stake_with_invalid_permit_and_no_allowance_reverts(
    staking, token, chain, alice, bob, sign_permit, reverts
):
    """A permit signed by someone else is ignored, and without an allowance the stake reverts in the token."""
    token.approve(staking, 0, sender=alice)
    deadline = chain.pending_timestamp + 3600
    forged = sign_permit(alice, staking, 40 * E, deadline, signer=bob)
    with reverts(token.ERC20InsufficientAllowance, spender=staking, allowance=0, needed=40 * E):
        staking.stakeWithPermit(40 * E, alice, deadline, *_permit_args(forged), sender=alice)


# --------------------------------------------------------------------------------------------------
# Voting power
# --------------------------------------------------------------------------------------------------


def test_self_delegating_staker_keeps_their_votes(staking, token, chain, voter, params):
    """A staker delegating to themselves has the same votes before and after staking, now and in the past."""
    before = token.getVotes(voter)
    assert before == params.VOTER
    receipt = staking.stake(params.VOTER // 2, voter, sender=voter)
    assert token.balanceOf(voter) == params.VOTER // 2
    assert token.getVotes(voter) == before
    chain.mine(deltatime=10)
    assert token.getPastVotes(voter, receipt.timestamp) == before


def test_staking_keeps_the_chosen_delegatee_votes(staking, token, alice, holder, params):
    """Tokens that voted for a delegatee before staking still vote for them once staked there."""
    token.invoke_transaction("delegate", holder, sender=alice)
    before = token.getVotes(holder)
    assert before == params.HOLDER + FUNDS
    staking.stake(FUNDS, holder, sender=alice)
    assert token.getVotes(holder) == before
    assert token.getVotes(staking.surrogate(holder)) == 0


def test_undelegated_staker_gives_votes_to_the_delegatee(staking, token, alice):
    """Staking undelegated tokens gives their votes to the chosen delegatee."""
    delegatee = fresh("newcomer")
    assert token.getVotes(delegatee) == 0
    staking.stake(70 * E, delegatee, sender=alice)
    assert token.getVotes(delegatee) == 70 * E


def test_change_delegatee_moves_tokens_and_votes(staking, token, voter, holder, params):
    """changeDelegatee moves the stake to the new delegatee's surrogate, and its votes with it."""
    staking.stake(100 * E, voter, sender=voter)
    old_surrogate = staking.surrogate(voter)
    receipt = staking.changeDelegatee(holder, sender=voter)
    [changed] = receipt.events.filter(staking.DelegateeChanged)
    assert (changed.account, changed.oldDelegatee, changed.newDelegatee, changed.amount) == (
        voter.address,
        voter.address,
        holder.address,
        100 * E,
    )
    [deployed] = receipt.events.filter(staking.SurrogateDeployed)
    assert deployed.delegatee == holder.address
    assert token.balanceOf(old_surrogate) == 0
    assert token.balanceOf(staking.surrogate(holder)) == 100 * E
    assert token.getVotes(voter) == params.VOTER - 100 * E
    assert token.getVotes(holder) == params.HOLDER + 100 * E
    assert staking.delegateeOf(voter) == holder.address
    assert staking.stakedOf(voter) == 100 * E


def test_change_delegatee_into_existing_surrogate(staking, token, alice, bob):
    """Moving to a delegatee that already has a surrogate reuses it."""
    staking.stake(3 * E, fresh("a"), sender=alice)
    staking.stake(4 * E, fresh("b"), sender=bob)
    receipt = staking.changeDelegatee(fresh("b"), sender=alice)
    assert not list(receipt.events.filter(staking.SurrogateDeployed))
    assert token.balanceOf(staking.surrogate(fresh("b"))) == 7 * E
    assert token.getVotes(fresh("b")) == 7 * E
    assert token.getVotes(fresh("a")) == 0


def test_unbonding_tokens_keep_voting_until_withdrawn(staking, token, chain, voter, params):
    """Tokens in the unbonding queue still vote for the delegatee; after withdrawal they vote through the wallet."""
    staking.stake(200 * E, voter, sender=voter)
    staking.requestUnstake(150 * E, sender=voter)
    assert token.getVotes(voter) == params.VOTER
    assert token.balanceOf(staking.surrogate(voter)) == 200 * E
    chain.mine(deltatime=COOLDOWN)
    staking.withdraw(sender=voter)
    assert token.getVotes(voter) == params.VOTER
    assert token.balanceOf(staking.surrogate(voter)) == 50 * E


def test_change_delegatee_moves_unbonding_tokens_too(staking, token, chain, alice):
    """Unbonding tokens follow a delegatee change, keep their unlock time, and are withdrawn from the new surrogate."""
    staking.stake(10 * E, fresh("old"), sender=alice)
    staking.requestUnstake(4 * E, sender=alice)
    _, unlock = staking.unbonding(alice)
    receipt = staking.changeDelegatee(fresh("new"), sender=alice)
    [changed] = receipt.events.filter(staking.DelegateeChanged)
    assert changed.amount == 10 * E
    assert token.getVotes(fresh("new")) == 10 * E
    assert token.getVotes(fresh("old")) == 0
    assert staking.unbonding(alice) == (4 * E, unlock)
    chain.mine(timestamp=unlock)
    staking.withdraw(sender=alice)
    assert token.balanceOf(staking.surrogate(fresh("new"))) == 6 * E
    assert token.balanceOf(alice) == FUNDS - 6 * E


def test_change_to_zero_delegatee_reverts(staking, alice, params, reverts):
    """changeDelegatee to the zero address reverts with SaharaStakingZeroDelegatee."""
    staking.stake(E, alice, sender=alice)
    with reverts(staking.SaharaStakingZeroDelegatee):
        staking.changeDelegatee(params.ZERO_ADDRESS, sender=alice)


def test_change_delegatee_without_stake_reverts(staking, alice, reverts):
    """changeDelegatee with nothing staked or unbonding reverts with SaharaStakingNothingStaked."""
    with reverts(staking.SaharaStakingNothingStaked, account=alice):
        staking.changeDelegatee(fresh("x"), sender=alice)


def test_change_to_same_delegatee_reverts(staking, alice, reverts):
    """changeDelegatee to the current delegatee reverts with SaharaStakingSameDelegatee."""
    staking.stake(E, fresh("same"), sender=alice)
    with reverts(staking.SaharaStakingSameDelegatee, account=alice, delegatee=fresh("same")):
        staking.changeDelegatee(fresh("same"), sender=alice)


# --------------------------------------------------------------------------------------------------
# Unbonding
# --------------------------------------------------------------------------------------------------


def test_request_unstake_queues_tokens_for_the_cooldown(staking, alice):
    """requestUnstake moves stake into the unbonding queue, unlocking one cooldown later."""
    staking.stake(10 * E, alice, sender=alice)
    receipt = staking.requestUnstake(4 * E, sender=alice)
    [event] = receipt.events.filter(staking.UnstakeRequested)
    assert (event.account, event.amount, event.unlockTime) == (
        alice.address,
        4 * E,
        receipt.timestamp + COOLDOWN,
    )
    assert staking.stakedOf(alice) == 6 * E
    assert staking.unbonding(alice) == (4 * E, receipt.timestamp + COOLDOWN)
    assert (staking.totalStaked(), staking.totalUnbonding()) == (6 * E, 4 * E)


def test_new_request_restarts_the_clock(staking, chain, alice):
    """A second request adds to the queue and restarts its clock."""
    staking.stake(10 * E, alice, sender=alice)
    staking.requestUnstake(4 * E, sender=alice)
    chain.mine(deltatime=3 * DAY)
    receipt = staking.requestUnstake(1 * E, sender=alice)
    assert staking.unbonding(alice) == (5 * E, receipt.timestamp + COOLDOWN)


def test_request_unstake_of_zero_reverts(staking, alice, reverts):
    """Requesting to unstake nothing reverts with SaharaStakingZeroAmount."""
    staking.stake(E, alice, sender=alice)
    with reverts(staking.SaharaStakingZeroAmount):
        staking.requestUnstake(0, sender=alice)


def test_request_unstake_beyond_stake_reverts(staking, alice, reverts):
    """Requesting more than the stake reverts with SaharaStakingInsufficientStake."""
    staking.stake(E, alice, sender=alice)
    staking.requestUnstake(E // 2, sender=alice)
    with reverts(staking.SaharaStakingInsufficientStake, account=alice, staked=E // 2, requested=E // 2 + 1):
        staking.requestUnstake(E // 2 + 1, sender=alice)


def test_withdraw_after_cooldown_returns_the_tokens(staking, token, chain, alice):
    """After the cooldown, withdraw pays the whole queue back to the staker."""
    staking.stake(10 * E, alice, sender=alice)
    request = staking.requestUnstake(10 * E, sender=alice)
    chain.mine(timestamp=request.timestamp + COOLDOWN - 1)  # the withdrawal is mined at the unlock time
    receipt = staking.withdraw(sender=alice)
    assert receipt.timestamp == request.timestamp + COOLDOWN
    [event] = receipt.events.filter(staking.Withdrawn)
    assert (event.account, event.amount) == (alice.address, 10 * E)
    assert token.balanceOf(alice) == FUNDS
    assert staking.unbonding(alice)[0] == 0
    assert staking.totalUnbonding() == 0


def test_withdraw_before_unlock_reverts(staking, chain, alice, reverts):
    """Withdrawing one second before the unlock time reverts with SaharaStakingStillUnbonding."""
    staking.stake(10 * E, alice, sender=alice)
    request = staking.requestUnstake(10 * E, sender=alice)
    unlock = request.timestamp + COOLDOWN
    chain.mine(timestamp=unlock - 2)  # the next transaction is mined at unlock - 1
    with reverts(staking.SaharaStakingStillUnbonding, account=alice, unlockTime=unlock):
        staking.withdraw(sender=alice)


def test_withdraw_with_empty_queue_reverts(staking, alice, reverts):
    """Withdrawing with nothing unbonding reverts with SaharaStakingNothingToWithdraw."""
    staking.stake(10 * E, alice, sender=alice)
    with reverts(staking.SaharaStakingNothingToWithdraw, account=alice):
        staking.withdraw(sender=alice)


def test_cooldown_change_leaves_existing_unlock_times(staking, chain, token, deployer, alice, bob, reverts):
    """A new cooldown applies to later requests only."""
    staking.stake(E, alice, sender=alice)
    staking.stake(E, bob, sender=bob)
    first = staking.requestUnstake(E, sender=alice)
    staking.setCooldown(DAY, sender=deployer)
    second = staking.requestUnstake(E, sender=bob)
    assert staking.unbonding(alice)[1] == first.timestamp + COOLDOWN
    assert staking.unbonding(bob)[1] == second.timestamp + DAY
    chain.mine(deltatime=DAY)
    staking.withdraw(sender=bob)
    assert token.balanceOf(bob) == FUNDS
    with reverts(staking.SaharaStakingStillUnbonding, account=alice, unlockTime=first.timestamp + COOLDOWN):
        staking.withdraw(sender=alice)


def test_zero_cooldown_allows_immediate_withdrawal(staking, token, deployer, alice):
    """With a zero cooldown, a request can be withdrawn in the next transaction."""
    staking.setCooldown(0, sender=deployer)
    staking.stake(E, alice, sender=alice)
    staking.requestUnstake(E, sender=alice)
    staking.withdraw(sender=alice)
    assert token.balanceOf(alice) == FUNDS


# --------------------------------------------------------------------------------------------------
# Rewards
# --------------------------------------------------------------------------------------------------


def test_notify_sets_rate_and_period(staking, chain, fund):
    """notifyRewardAmount spreads the amount over the duration, in 1e-18 wei a second, with RewardAdded."""
    receipt = fund(7_000 * E, 7 * DAY)
    [event] = receipt.events.filter(staking.RewardAdded)
    rate = 7_000 * E * P // (7 * DAY)
    assert (event.amount, event.duration, event.rewardRateScaled, event.periodFinish) == (
        7_000 * E,
        7 * DAY,
        rate,
        receipt.timestamp + 7 * DAY,
    )
    assert staking.rewardRateScaled() == rate
    assert staking.lastUpdateTime() == receipt.timestamp
    assert staking.rewardsOutstanding() == 7_000 * E
    assert staking.undistributedRewardsScaled() == 7_000 * E * P


def test_single_staker_earns_the_whole_period(staking, token, chain, alice, fund):
    """A lone staker earns the whole reward over the period, less truncation remainders that stay carried."""
    staking.stake(1_000 * E, alice, sender=alice)
    notified = fund(7_000 * E, 7 * DAY)
    chain.mine(timestamp=notified.timestamp + 7 * DAY + 100)
    earned = staking.earned(alice)
    assert near(earned, 7_000 * E, tolerance=1_000)
    receipt = staking.getReward(sender=alice)
    [paid] = receipt.events.filter(staking.RewardPaid)
    assert (paid.account, paid.reward) == (alice.address, earned)
    assert token.balanceOf(alice) == FUNDS - 1_000 * E + earned
    assert staking.earned(alice) == 0
    assert staking.rewardsOutstanding() == 7_000 * E - earned
    assert token.balanceOf(staking) == 7_000 * E - earned


def test_rewards_split_pro_rata_by_stake_and_time(staking, chain, alice, bob, fund):
    """Two stakers earn by their stake while both are in, the first alone before."""
    staking.stake(1_000 * E, alice, sender=alice)
    notified = fund(8_000 * E, 8 * DAY)
    chain.mine(timestamp=notified.timestamp + 4 * DAY - 1)
    staking.stake(3_000 * E, bob, sender=bob)  # mined at notify + 4 days
    chain.mine(timestamp=notified.timestamp + 9 * DAY)
    # alice: 4,000 alone, then a quarter of 4,000; bob: three quarters of 4,000
    assert near(staking.earned(alice), 5_000 * E, tolerance=10_000)
    assert near(staking.earned(bob), 3_000 * E, tolerance=10_000)


def test_unbonding_tokens_stop_earning(staking, chain, alice, bob, fund):
    """Tokens queued for withdrawal earn nothing from the request on."""
    staking.stake(1_000 * E, alice, sender=alice)
    staking.stake(1_000 * E, bob, sender=bob)
    notified = fund(2_000 * E, 2 * DAY)
    chain.mine(timestamp=notified.timestamp + DAY - 1)
    staking.requestUnstake(1_000 * E, sender=bob)  # mined at notify + 1 day
    chain.mine(timestamp=notified.timestamp + 3 * DAY)
    assert near(staking.earned(bob), 500 * E, tolerance=10_000)
    assert near(staking.earned(alice), 1_500 * E, tolerance=10_000)


def test_get_reward_with_nothing_earned_pays_nothing(staking, token, alice):
    """getReward with nothing earned moves no tokens and emits no RewardPaid."""
    receipt = staking.getReward(sender=alice)
    assert not list(receipt.events.filter(staking.RewardPaid))
    assert token.balanceOf(alice) == FUNDS


def test_exit_queues_the_whole_stake_and_pays_rewards(staking, token, chain, alice, fund):
    """exit requests the whole stake and pays the rewards in one call."""
    staking.stake(100 * E, alice, sender=alice)
    notified = fund(1_000 * E, DAY)
    chain.mine(timestamp=notified.timestamp + 2 * DAY)
    earned = staking.earned(alice)
    receipt = staking.exit(sender=alice)
    [requested] = receipt.events.filter(staking.UnstakeRequested)
    [paid] = receipt.events.filter(staking.RewardPaid)
    assert (requested.amount, paid.reward) == (100 * E, earned)
    assert staking.stakedOf(alice) == 0
    assert staking.unbonding(alice) == (100 * E, receipt.timestamp + COOLDOWN)
    assert token.balanceOf(alice) == FUNDS - 100 * E + earned


def test_exit_without_stake_reverts(staking, alice, reverts):
    """exit with nothing staked reverts with SaharaStakingZeroAmount."""
    with reverts(staking.SaharaStakingZeroAmount):
        staking.exit(sender=alice)


def test_rewards_are_not_lost_while_nothing_is_staked(staking, chain, alice, fund):
    """Rewards notified before anyone stakes wait: the clock starts with the first stake."""
    notified = fund(7_000 * E, 7 * DAY)
    chain.mine(timestamp=notified.timestamp + 3 * DAY)
    assert staking.periodFinish() == notified.timestamp + 10 * DAY  # the end moves out while idle
    staked = staking.stake(1_000 * E, alice, sender=alice)
    assert staking.periodFinish() == staked.timestamp + 7 * DAY
    chain.mine(timestamp=staked.timestamp + 6 * DAY)
    assert near(staking.earned(alice), 6_000 * E, tolerance=1_000)
    chain.mine(timestamp=staked.timestamp + 8 * DAY)
    assert near(staking.earned(alice), 7_000 * E, tolerance=1_000)


def test_rewards_resume_after_everyone_leaves(staking, chain, alice, bob, fund):
    """When the last staker leaves mid-period, the rest of the rewards wait for the next staker."""
    staking.stake(1_000 * E, alice, sender=alice)
    notified = fund(4_000 * E, 4 * DAY)
    chain.mine(timestamp=notified.timestamp + DAY - 1)
    staking.requestUnstake(1_000 * E, sender=alice)  # mined at notify + 1 day: alice earned 1,000
    chain.mine(deltatime=10 * DAY)  # nobody staked: nothing is emitted
    staked = staking.stake(500 * E, bob, sender=bob)
    assert staking.periodFinish() == staked.timestamp + 3 * DAY
    chain.mine(timestamp=staked.timestamp + 5 * DAY)
    assert near(staking.earned(alice), 1_000 * E, tolerance=1_000)
    assert near(staking.earned(bob), 3_000 * E, tolerance=1_000)


def test_truncation_remainders_are_carried_into_the_next_period(staking, chain, alice, bob, fund):
    """Rewards that do not divide evenly lose nothing: what truncation leaves is re-emitted next period.

    Synthetix's `rewardRate = reward / duration` would emit 1 wei a second here, 604,800 of the
    1,000,000 wei, and lock the other 395,200 for good.
    """
    staking.stake(E, alice, sender=alice)
    staking.stake(2 * E, bob, sender=bob)
    first = fund(1_000_000, 7 * DAY)
    chain.mine(timestamp=first.timestamp + 8 * DAY)
    paid = sum(
        [staking.getReward(sender=a).events.filter(staking.RewardPaid)[0].reward for a in (alice, bob)]
    )
    assert near(paid, 1_000_000, tolerance=3)
    carried = staking.undistributedRewardsScaled()
    assert carried > 0
    # Every 1e-18 wei is accounted for: paid, carried, or a staker's fraction of a wei.
    assert 0 <= 1_000_000 * P - paid * P - carried < 2 * P
    second = fund(10, DAY)
    [added] = second.events.filter(staking.RewardAdded)
    assert added.rewardRateScaled == (10 * P + carried) // DAY
    chain.mine(timestamp=second.timestamp + 2 * DAY)
    paid += sum(
        [staking.getReward(sender=a).events.filter(staking.RewardPaid)[0].reward for a in (alice, bob)]
    )
    assert near(paid, 1_000_010, tolerance=2)
    assert staking.rewardsOutstanding() == 1_000_010 - paid


def test_notify_during_a_period_rolls_the_rest_in(staking, chain, alice, fund):
    """A notification mid-period spreads the new amount and what is still undistributed over the new duration."""
    staking.stake(1_000 * E, alice, sender=alice)
    first = fund(4_000 * E, 4 * DAY)
    first_rate = staking.rewardRateScaled()
    chain.mine(timestamp=first.timestamp + DAY - 2)
    second = fund(1_000 * E, 2 * DAY)  # its transfer is mined a day less a second in, the notify at a day
    elapsed = second.timestamp - first.timestamp
    assert elapsed == DAY
    emitted = elapsed * first_rate // (1_000 * E) * (1_000 * E)  # what a day of the first period credited
    undistributed = 5_000 * E * P - emitted  # about 3,000 left + 1,000 new
    assert staking.undistributedRewardsScaled() == undistributed
    [added] = second.events.filter(staking.RewardAdded)
    assert added.rewardRateScaled == undistributed // (2 * DAY)
    assert staking.periodFinish() == second.timestamp + 2 * DAY
    chain.mine(timestamp=second.timestamp + 3 * DAY)
    assert near(staking.earned(alice), 5_000 * E, tolerance=1_000)


def test_notify_requires_the_rewards_on_top_of_everything_owed(
    staking, token, distributor, alice, fund, reverts
):
    """Notifying rewards the contract does not hold beyond what it owes reverts; stake never counts."""
    staking.stake(1_000 * E, alice, sender=alice)  # stake sits in a surrogate, not here
    with reverts(staking.SaharaStakingInsufficientRewardBalance, balance=0, required=E):
        staking.notifyRewardAmount(E, DAY, sender=distributor)
    fund(100 * E, DAY)
    with reverts(staking.SaharaStakingInsufficientRewardBalance, balance=100 * E, required=101 * E):
        staking.notifyRewardAmount(E, DAY, sender=distributor)
    token.transfer(staking, E, sender=distributor)
    staking.notifyRewardAmount(E, DAY, sender=distributor)
    assert staking.rewardsOutstanding() == 101 * E


def test_notify_of_zero_reverts(staking, distributor, reverts):
    """Notifying a zero reward reverts with SaharaStakingZeroRewardAmount."""
    with reverts(staking.SaharaStakingZeroRewardAmount):
        staking.notifyRewardAmount(0, DAY, sender=distributor)


def test_notify_with_invalid_duration_reverts(staking, token, distributor, reverts):
    """A zero duration or one above MAX_REWARD_DURATION reverts with SaharaStakingInvalidRewardDuration."""
    token.transfer(staking, E, sender=distributor)
    for duration in (0, MAX_REWARD_DURATION + 1):
        with reverts(
            staking.SaharaStakingInvalidRewardDuration, duration=duration, maxDuration=MAX_REWARD_DURATION
        ):
            staking.notifyRewardAmount(E, duration, sender=distributor)
    staking.notifyRewardAmount(E, MAX_REWARD_DURATION, sender=distributor)


def test_only_distributor_notifies(staking, deployer, other, distributor, reverts):
    """Anyone without REWARD_DISTRIBUTOR_ROLE notifying reverts with AccessControlUnauthorizedAccount."""
    staking.revokeRole(staking.REWARD_DISTRIBUTOR_ROLE(), distributor, sender=deployer)
    for account in (other, deployer):
        with reverts(
            staking.AccessControlUnauthorizedAccount,
            account=account,
            neededRole=staking.REWARD_DISTRIBUTOR_ROLE(),
        ):
            staking.notifyRewardAmount(E, DAY, sender=account)


def test_reward_per_token_tracks_the_accumulator(staking, chain, alice, fund):
    """rewardPerToken grows by elapsed * rate / totalStaked while anything is staked."""
    staking.stake(2_000 * E, alice, sender=alice)
    notified = fund(1_000 * E, 10 * DAY)
    assert staking.rewardPerToken() == 0
    chain.mine(timestamp=notified.timestamp + DAY)
    rate = staking.rewardRateScaled()
    assert staking.rewardPerToken() == DAY * rate // (2_000 * E)


def test_stake_is_paid_back_in_full_after_rewards_are_exhausted(staking, token, chain, alice, bob, fund):
    """Paying out every reward leaves every stake intact and withdrawable."""
    staking.stake(1_000 * E, alice, sender=alice)
    staking.stake(1_000 * E, bob, sender=bob)
    notified = fund(500 * E, DAY)
    chain.mine(timestamp=notified.timestamp + 2 * DAY)
    rewards = {
        a.address: staking.exit(sender=a).events.filter(staking.RewardPaid)[0].reward for a in (alice, bob)
    }
    chain.mine(deltatime=COOLDOWN)
    for account in (alice, bob):
        staking.withdraw(sender=account)
        assert token.balanceOf(account) == FUNDS + rewards[account.address]
    # What stays behind is the truncation remainder, carried for the next period (and sub-wei fractions).
    outstanding = staking.rewardsOutstanding()
    assert token.balanceOf(staking) == outstanding == 500 * E - sum(rewards.values())
    assert 0 <= outstanding * P - staking.undistributedRewardsScaled() < 2 * P


# --------------------------------------------------------------------------------------------------
# Property: random sequences against an exact Python model of the contract
# --------------------------------------------------------------------------------------------------


@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    phases=ON_CHAIN_PHASES,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    reward=st.integers(min_value=1, max_value=100_000 * E),
    duration=st.integers(min_value=DAY, max_value=30 * DAY),
    stake=st.integers(min_value=1, max_value=100_000 * E),
    pattern=st.lists(st.tuples(st.integers(2, 20 * DAY), st.floats(0.01, 0.5)), min_size=1, max_size=4),
)
def test_idle_time_never_consumes_rewards(
    chain, staking, token, distributor, alice, reward, duration, stake, pattern
):
    """However long and often nobody is staked, a staker in for the whole duration gets the whole reward
    (less truncation remainders, which stay carried in the budget)."""
    snapshot = chain.snapshot()
    try:
        token.transfer(staking, reward, sender=distributor)
        notified = staking.notifyRewardAmount(reward, duration, sender=distributor)
        staked_time = 0
        last = notified.timestamp
        for idle, share in pattern:  # idle, then staked for a share of the duration, then out again
            chain.mine(timestamp=last + idle - 1)
            start = staking.stake(stake, alice, sender=alice).timestamp
            chain.mine(timestamp=start + int(share * duration) - 1)
            stop = staking.requestUnstake(stake, sender=alice).timestamp
            staked_time += stop - start
            last = stop
        chain.mine(timestamp=last + 5 * DAY)
        start = staking.stake(stake, alice, sender=alice).timestamp
        remaining = max(duration - staked_time, 0)
        chain.mine(timestamp=start + remaining + 1)
        earned = staking.getReward(sender=alice).events.filter(staking.RewardPaid)
        paid = earned[0].reward if earned else 0
        # Each accrual can leave at most `stake` units of 1e-18 wei behind, carried in the budget.
        accruals = 2 * len(pattern) + 3
        assert reward - paid <= accruals * (stake // P + 1)
        assert reward * P - paid * P - staking.undistributedRewardsScaled() < P
    finally:
        chain.restore(snapshot)


@dataclass
class StakerModel:
    staked: int = 0
    unbonding: int = 0
    unlock: int = 0
    delegatee: str | None = None
    paid_rpt: int = 0
    rewards: int = 0  # 1e-18 wei


class StakingModel:
    """SaharaStaking's accounting, in Python integers, step for step."""

    def __init__(self, cooldown):
        self.cooldown = cooldown
        self.rate = self.last = self.finish = self.rpt = self.undistributed = self.outstanding = 0
        self.total_staked = 0
        self.funded = self.paid = 0
        self.paid_to = defaultdict(int)
        self.stakers = defaultdict(StakerModel)

    def pending(self, now):
        if self.total_staked == 0:
            return self.rpt, 0
        end = min(now, self.finish)
        if end <= self.last:
            return self.rpt, 0
        increment = (end - self.last) * self.rate // self.total_staked
        return self.rpt + increment, increment * self.total_staked

    def accrue(self, now):
        if now == self.last:
            return self.rpt
        rpt, distributed = self.pending(now)
        if distributed:
            self.rpt = rpt
            self.undistributed -= distributed
        elif self.total_staked == 0 and self.last < self.finish:
            self.finish = now + (self.finish - self.last)
        self.last = now
        return rpt

    def update(self, account, now):
        s = self.stakers[account]
        rpt = self.accrue(now)
        s.rewards += s.staked * (rpt - s.paid_rpt)
        s.paid_rpt = rpt

    def earned(self, account, now):
        s = self.stakers[account]
        rpt, _ = self.pending(now)
        return (s.rewards + s.staked * (rpt - s.paid_rpt)) // P

    def period_finish(self, now):
        if self.total_staked == 0 and self.last < self.finish:
            return now + (self.finish - self.last)
        return self.finish

    def stake(self, account, amount, delegatee, now):
        s = self.stakers[account]
        s.delegatee = delegatee
        self.update(account, now)
        s.staked += amount
        self.total_staked += amount

    def request_unstake(self, account, amount, now):
        s = self.stakers[account]
        self.update(account, now)
        s.staked -= amount
        s.unbonding += amount
        s.unlock = now + self.cooldown
        self.total_staked -= amount

    def get_reward(self, account, now):
        s = self.stakers[account]
        self.update(account, now)
        reward = s.rewards // P
        s.rewards -= reward * P
        self.outstanding -= reward
        self.paid += reward
        self.paid_to[account] += reward
        return reward

    def notify(self, amount, duration, now):
        self.accrue(now)
        self.outstanding += amount
        self.funded += amount
        self.undistributed += amount * P
        self.rate = self.undistributed // duration
        self.finish = now + duration

    def votes(self, delegatee):
        return sum(s.staked + s.unbonding for s in self.stakers.values() if s.delegatee == delegatee)

    def credited(self, now):
        rpt, _ = self.pending(now)
        return sum(s.rewards + s.staked * (rpt - s.paid_rpt) for s in self.stakers.values())


DELEGATEES = 3  # fresh delegatees; a staker may also delegate to itself
amounts = st.one_of(st.integers(min_value=1, max_value=1_000), st.integers(min_value=1, max_value=50_000 * E))
operations = st.one_of(
    st.tuples(st.just("stake"), st.integers(0, 2), amounts, st.integers(0, DELEGATEES)),
    st.tuples(st.just("unstake"), st.integers(0, 2), st.floats(0, 1.2)),
    st.tuples(st.just("withdraw"), st.integers(0, 2)),
    st.tuples(st.just("reward"), st.integers(0, 2)),
    st.tuples(st.just("exit"), st.integers(0, 2)),
    st.tuples(st.just("change"), st.integers(0, 2), st.integers(0, DELEGATEES)),
    st.tuples(
        st.just("notify"),
        st.one_of(st.integers(1, 10**7), st.integers(E, 100_000 * E)),
        st.integers(1, 30 * DAY),
    ),
    st.tuples(st.just("wait"), st.integers(1, 10 * DAY)),
)


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    phases=ON_CHAIN_PHASES,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=5, max_size=20))
def test_random_sequences_match_the_model(
    chain, staking, token, distributor, stakers, reverts, params, steps
):
    """Under any sequence, balances, votes and rewards match an exact model; rewards paid never exceed
    rewards funded, nothing is lost while nobody stakes, dust is carried, and every stake comes back."""
    snapshot = chain.snapshot()
    try:
        accounts_ = stakers[:3]
        delegatees = [fresh(f"prop/{i}") for i in range(DELEGATEES)]
        model = StakingModel(COOLDOWN)
        start = {a.address: token.balanceOf(a) for a in accounts_}

        def delegatee_of(who, index):
            return accounts_[who].address if index == DELEGATEES else delegatees[index]

        all_delegatees = {*delegatees, *(a.address for a in accounts_)}

        def check(checked_accounts, checked_delegatees):
            """Compares the chain with the model: the given accounts and delegatees, and the totals."""
            now = chain.blocks.head.timestamp
            for account in checked_accounts:
                s = model.stakers[account.address]
                assert staking.stakedOf(account) == s.staked
                assert staking.unbonding(account) == (s.unbonding, s.unlock)
                assert staking.earned(account) == model.earned(account.address, now)
            for delegatee in checked_delegatees:
                assert token.getVotes(delegatee) == model.votes(delegatee)
            assert staking.totalStaked() == model.total_staked
            assert staking.rewardPerToken() == model.pending(now)[0]
            assert staking.undistributedRewardsScaled() == model.undistributed
            assert staking.rewardsOutstanding() == model.outstanding
            assert staking.periodFinish() == model.period_finish(now)
            # Conservation, in 1e-18 wei: funded = paid + undistributed + credited to stakers (the
            # accrual pending since the last update moves from the budget to the stakers).
            pending = model.pending(now)[1]
            assert model.funded * P == model.paid * P + model.undistributed - pending + model.credited(now)
            assert model.paid <= model.funded
            assert token.balanceOf(staking) >= model.outstanding

        for step in steps:
            kind, *args = step
            acting = accounts_ if kind in ("wait", "notify") else [accounts_[args[0]]]
            touched = {model.stakers[a.address].delegatee for a in acting} - {None}
            if kind == "wait":
                chain.mine(deltatime=args[0])
            elif kind == "notify":
                amount, duration = args
                token.transfer(staking, amount, sender=distributor)
                receipt = staking.notifyRewardAmount(amount, duration, sender=distributor)
                model.notify(amount, duration, receipt.timestamp)
            else:
                account = accounts_[args[0]]
                s = model.stakers[account.address]
                if kind == "stake":
                    amount, delegatee = min(args[1], token.balanceOf(account)), delegatee_of(args[0], args[2])
                    if amount == 0:
                        continue
                    if s.staked + s.unbonding and s.delegatee != delegatee:
                        with reverts(
                            staking.SaharaStakingDelegateeMismatch,
                            account=account,
                            current=s.delegatee,
                            requested=delegatee,
                        ):
                            staking.stake(amount, delegatee, sender=account)
                        continue
                    receipt = staking.stake(amount, delegatee, sender=account)
                    model.stake(account.address, amount, delegatee, receipt.timestamp)
                elif kind == "unstake":
                    amount = int(s.staked * args[1])
                    if amount == 0:
                        continue
                    if amount > s.staked:
                        with reverts(
                            staking.SaharaStakingInsufficientStake,
                            account=account,
                            staked=s.staked,
                            requested=amount,
                        ):
                            staking.requestUnstake(amount, sender=account)
                        continue
                    receipt = staking.requestUnstake(amount, sender=account)
                    model.request_unstake(account.address, amount, receipt.timestamp)
                elif kind == "withdraw":
                    if s.unbonding == 0:
                        with reverts(staking.SaharaStakingNothingToWithdraw, account=account):
                            staking.withdraw(sender=account)
                        continue
                    if chain.pending_timestamp < s.unlock:
                        with reverts(
                            staking.SaharaStakingStillUnbonding, account=account, unlockTime=s.unlock
                        ):
                            staking.withdraw(sender=account)
                        continue
                    staking.withdraw(sender=account)
                    s.unbonding = 0
                elif kind == "reward":
                    receipt = staking.getReward(sender=account)
                    reward = model.get_reward(account.address, receipt.timestamp)
                    assert [e.reward for e in receipt.events.filter(staking.RewardPaid)] == (
                        [reward] if reward else []
                    )
                elif kind == "exit":
                    if s.staked == 0:
                        continue
                    receipt = staking.exit(sender=account)
                    model.request_unstake(account.address, s.staked, receipt.timestamp)
                    reward = model.get_reward(account.address, receipt.timestamp)
                    assert [e.reward for e in receipt.events.filter(staking.RewardPaid)] == (
                        [reward] if reward else []
                    )
                elif kind == "change":
                    delegatee = delegatee_of(args[0], args[1])
                    if s.staked + s.unbonding == 0 or delegatee == s.delegatee:
                        continue
                    staking.changeDelegatee(delegatee, sender=account)
                    s.delegatee = delegatee
            touched |= {model.stakers[a.address].delegatee for a in acting} - {None}
            check(acting, touched)

        # Everyone leaves: after the cooldown each staker gets back exactly their stake, plus rewards.
        for account in accounts_:
            s = model.stakers[account.address]
            if s.staked:
                receipt = staking.requestUnstake(s.staked, sender=account)
                model.request_unstake(account.address, s.staked, receipt.timestamp)
        chain.mine(deltatime=COOLDOWN + 1)
        for account in accounts_:
            s = model.stakers[account.address]
            if s.unbonding:
                staking.withdraw(sender=account)
                s.unbonding = 0
            receipt = staking.getReward(sender=account)
            model.get_reward(account.address, receipt.timestamp)
        check(accounts_, all_delegatees)
        for account in accounts_:
            paid_back = model.paid_to[account.address]
            assert token.balanceOf(account) == start[account.address] + paid_back
        for delegatee in all_delegatees:
            surrogate = staking.surrogate(delegatee)
            assert surrogate == params.ZERO_ADDRESS or token.balanceOf(surrogate) == 0
        # Nothing is stranded: all that is unpaid is the carried budget, or less than a wei per staker.
        assert 0 <= model.outstanding * P - model.undistributed < len(accounts_) * P
        assert staking.rewardsOutstanding() == model.funded - model.paid
    finally:
        chain.restore(snapshot)
