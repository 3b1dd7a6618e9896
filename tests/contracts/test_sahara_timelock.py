"""SaharaTimelock: the DAO treasury's wiring, and the TimelockController rules on a standalone instance.

The DAO timelock only takes schedules from the governor, which always uses the minimum delay; the
scheduling rules (delay, duplicates, predecessors, roles) are exercised on a second timelock whose
proposer and executor are plain accounts.
"""

import pytest

WAITING, READY, UNSET = 1, 2, 0  # TimelockController.OperationState
OPS_DELAY = 24 * 60 * 60  # the ops_timelock fixture's minimum delay


@pytest.fixture
def payout(ops_timelock, token, deployer, recipient, params):
    """A funded standalone timelock and one operation paying 1,000 SAHARA to the recipient."""
    token.transfer(ops_timelock, 1_000 * params.E, sender=deployer)
    call = (token.address, 0, token.transfer.encode_input(recipient, 1_000 * params.E))
    salt = b"\x01" * 32
    op_id = ops_timelock.hashOperation(*call, params.ZERO_BYTES32, salt)
    return call, salt, op_id


def test_dao_timelock_roles_are_wired(timelock, governor, deployer, params):
    """The governor alone proposes and cancels, anyone executes, and the deployer's admin is gone."""
    assert timelock.getMinDelay() == params.MIN_DELAY
    assert timelock.hasRole(timelock.PROPOSER_ROLE(), governor)
    assert timelock.hasRole(timelock.CANCELLER_ROLE(), governor)
    assert timelock.hasRole(timelock.EXECUTOR_ROLE(), params.ZERO_ADDRESS)
    assert not timelock.hasRole(timelock.PROPOSER_ROLE(), deployer)
    assert not timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), deployer)
    assert timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), timelock)
    assert governor.timelock() == timelock.address


def test_renounced_admin_cannot_grant_roles(timelock, deployer, reverts, params):
    """After renouncing, the deployer granting itself a role reverts with AccessControlUnauthorizedAccount."""
    with reverts(
        timelock.AccessControlUnauthorizedAccount, account=deployer, neededRole=timelock.DEFAULT_ADMIN_ROLE()
    ):
        timelock.grantRole(timelock.PROPOSER_ROLE(), deployer, sender=deployer)


def test_scheduling_on_dao_timelock_directly_reverts(timelock, token, deployer, recipient, params, reverts):
    """Scheduling a treasury transfer on the timelock, bypassing the governor, needs PROPOSER_ROLE."""
    data = token.transfer.encode_input(recipient, params.E)
    with reverts(
        timelock.AccessControlUnauthorizedAccount, account=deployer, neededRole=timelock.PROPOSER_ROLE()
    ):
        timelock.schedule(
            token, 0, data, params.ZERO_BYTES32, params.ZERO_BYTES32, params.MIN_DELAY, sender=deployer
        )


def test_cancelling_on_dao_timelock_directly_reverts(timelock, other, params, reverts):
    """Cancelling on the timelock, bypassing the governor, needs CANCELLER_ROLE."""
    with reverts(
        timelock.AccessControlUnauthorizedAccount, account=other, neededRole=timelock.CANCELLER_ROLE()
    ):
        timelock.cancel(b"\x42" * 32, sender=other)


def test_update_delay_directly_reverts(timelock, deployer, params, reverts):
    """Only the timelock itself may change its delay: a direct call reverts with TimelockUnauthorizedCaller."""
    with reverts(timelock.TimelockUnauthorizedCaller, caller=deployer):
        timelock.updateDelay(0, sender=deployer)
    assert timelock.getMinDelay() == params.MIN_DELAY


def test_governance_updates_delay(timelock, enact, params):
    """A DAO proposal executed by the timelock on itself changes the minimum delay."""
    _, receipt = enact([(timelock, 0, timelock.updateDelay.encode_input(3 * params.DAY))], "Raise the delay")
    [change] = receipt.events.filter(timelock.MinDelayChange)
    assert (change.oldDuration, change.newDuration) == (params.MIN_DELAY, 3 * params.DAY)
    assert timelock.getMinDelay() == 3 * params.DAY


def test_execute_batch_with_mismatched_lengths_reverts(timelock, token, other, params, reverts):
    """An execute batch whose arrays differ in length reverts with TimelockInvalidOperationLength."""
    with reverts(timelock.TimelockInvalidOperationLength, targets=1, payloads=0, values=2):
        timelock.executeBatch([token], [0, 0], [], params.ZERO_BYTES32, params.ZERO_BYTES32, sender=other)


def test_schedule_batch_with_mismatched_lengths_reverts(ops_timelock, token, deployer, params, reverts):
    """A schedule batch whose arrays differ in length reverts with TimelockInvalidOperationLength."""
    with reverts(ops_timelock.TimelockInvalidOperationLength, targets=2, payloads=1, values=2):
        ops_timelock.scheduleBatch(
            [token, token],
            [0, 0],
            [b""],
            params.ZERO_BYTES32,
            params.ZERO_BYTES32,
            OPS_DELAY,
            sender=deployer,
        )


def test_schedule_below_min_delay_reverts(ops_timelock, payout, deployer, params, reverts):
    """Scheduling with less than the minimum delay reverts with TimelockInsufficientDelay."""
    call, salt, _ = payout
    with reverts(ops_timelock.TimelockInsufficientDelay, delay=OPS_DELAY - 1, minDelay=OPS_DELAY):
        ops_timelock.schedule(*call, params.ZERO_BYTES32, salt, OPS_DELAY - 1, sender=deployer)


def test_operation_executes_only_once_ready(
    ops_timelock, payout, token, chain, deployer, recipient, params, reverts, bitmap
):
    """A scheduled operation waits for its delay, executes once, and cannot execute again."""
    call, salt, op_id = payout
    scheduled = ops_timelock.schedule(*call, params.ZERO_BYTES32, salt, OPS_DELAY, sender=deployer)
    [event] = scheduled.events.filter(ops_timelock.CallScheduled)
    assert (event.id, event.target, event.delay) == (op_id, token.address, OPS_DELAY)
    assert ops_timelock.getOperationState(op_id) == WAITING
    assert ops_timelock.getTimestamp(op_id) == scheduled.timestamp + OPS_DELAY

    with reverts(
        ops_timelock.TimelockUnexpectedOperationState, operationId=op_id, expectedStates=bitmap(READY)
    ):
        ops_timelock.execute(*call, params.ZERO_BYTES32, salt, sender=deployer)

    chain.mine(timestamp=scheduled.timestamp + OPS_DELAY)
    assert ops_timelock.isOperationReady(op_id)
    executed = ops_timelock.execute(*call, params.ZERO_BYTES32, salt, sender=deployer)
    assert [e.id for e in executed.events.filter(ops_timelock.CallExecuted)] == [op_id]
    assert token.balanceOf(recipient) == 1_000 * params.E
    assert token.balanceOf(ops_timelock) == 0
    assert ops_timelock.isOperationDone(op_id)

    with reverts(
        ops_timelock.TimelockUnexpectedOperationState, operationId=op_id, expectedStates=bitmap(READY)
    ):
        ops_timelock.execute(*call, params.ZERO_BYTES32, salt, sender=deployer)


def test_scheduling_an_operation_twice_reverts(ops_timelock, payout, deployer, params, reverts, bitmap):
    """Scheduling an operation that already exists reverts: it must be Unset."""
    call, salt, op_id = payout
    ops_timelock.schedule(*call, params.ZERO_BYTES32, salt, OPS_DELAY, sender=deployer)
    with reverts(
        ops_timelock.TimelockUnexpectedOperationState, operationId=op_id, expectedStates=bitmap(UNSET)
    ):
        ops_timelock.schedule(*call, params.ZERO_BYTES32, salt, 2 * OPS_DELAY, sender=deployer)


def test_cancel_removes_pending_operation(ops_timelock, payout, chain, deployer, params, reverts, bitmap):
    """Cancelling a pending operation deletes it; cancelling it again reverts as it is no longer pending."""
    call, salt, op_id = payout
    ops_timelock.schedule(*call, params.ZERO_BYTES32, salt, OPS_DELAY, sender=deployer)
    receipt = ops_timelock.cancel(op_id, sender=deployer)
    assert [e.id for e in receipt.events.filter(ops_timelock.Cancelled)] == [op_id]
    assert ops_timelock.getOperationState(op_id) == UNSET
    chain.mine(deltatime=OPS_DELAY)
    with reverts(
        ops_timelock.TimelockUnexpectedOperationState, operationId=op_id, expectedStates=bitmap(READY)
    ):
        ops_timelock.execute(*call, params.ZERO_BYTES32, salt, sender=deployer)
    with reverts(
        ops_timelock.TimelockUnexpectedOperationState,
        operationId=op_id,
        expectedStates=bitmap(WAITING, READY),
    ):
        ops_timelock.cancel(op_id, sender=deployer)


def test_execute_before_predecessor_reverts(ops_timelock, payout, token, chain, deployer, params, reverts):
    """An operation whose predecessor has not executed reverts with TimelockUnexecutedPredecessor."""
    call, salt, first_id = payout
    second = (call[0], 0, call[2])
    ops_timelock.schedule(*call, params.ZERO_BYTES32, salt, OPS_DELAY, sender=deployer)
    ops_timelock.schedule(*second, first_id, salt, OPS_DELAY, sender=deployer)
    chain.mine(deltatime=OPS_DELAY)
    with reverts(ops_timelock.TimelockUnexecutedPredecessor, predecessorId=first_id):
        ops_timelock.execute(*second, first_id, salt, sender=deployer)
    ops_timelock.execute(*call, params.ZERO_BYTES32, salt, sender=deployer)
    # With its predecessor done the second payout runs, and fails only for want of funds.
    with reverts(token.ERC20InsufficientBalance, sender=ops_timelock, balance=0, needed=1_000 * params.E):
        ops_timelock.execute(*second, first_id, salt, sender=deployer)


def test_executor_role_is_enforced_when_not_open(
    ops_timelock, payout, chain, deployer, other, params, reverts
):
    """On a timelock without open execution, others executing a ready operation need EXECUTOR_ROLE."""
    call, salt, _ = payout
    ops_timelock.schedule(*call, params.ZERO_BYTES32, salt, OPS_DELAY, sender=deployer)
    chain.mine(deltatime=OPS_DELAY)
    with reverts(
        ops_timelock.AccessControlUnauthorizedAccount, account=other, neededRole=ops_timelock.EXECUTOR_ROLE()
    ):
        ops_timelock.execute(*call, params.ZERO_BYTES32, salt, sender=other)


def test_failing_call_without_reason_reverts_with_failed_call(
    ops_timelock, token, chain, deployer, params, reverts
):
    """A ready operation whose call reverts without data makes execute revert with FailedCall."""
    data = bytes.fromhex("deadbeef")  # no such function on the token, which has no fallback
    ops_timelock.schedule(
        token, 0, data, params.ZERO_BYTES32, params.ZERO_BYTES32, OPS_DELAY, sender=deployer
    )
    chain.mine(deltatime=OPS_DELAY)
    with reverts(ops_timelock.FailedCall):
        ops_timelock.execute(token, 0, data, params.ZERO_BYTES32, params.ZERO_BYTES32, sender=deployer)


def test_renouncing_role_for_another_account_reverts(ops_timelock, deployer, other, reverts):
    """renounceRole only renounces for the caller: naming another account reverts."""
    with reverts(ops_timelock.AccessControlBadConfirmation):
        ops_timelock.renounceRole(ops_timelock.PROPOSER_ROLE(), other, sender=deployer)
    assert ops_timelock.hasRole(ops_timelock.PROPOSER_ROLE(), deployer)
