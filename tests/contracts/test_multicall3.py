"""Multicall3 (contracts/utils/Multicall3.sol): the canonical batching ABI on local chains."""

import pytest
from eth_abi import decode
from eth_utils import keccak

INSUFFICIENT_BALANCE = keccak(text="ERC20InsufficientBalance(address,uint256,uint256)")[:4]


@pytest.fixture(scope="session")
def multicall3(project, deployer):
    return project.Multicall3.deploy(sender=deployer)


def call3(contract, method: str, *args, allow_failure: bool = True) -> tuple:
    return (contract.address, allow_failure, bytes(getattr(contract, method).encode_input(*args)))


def test_aggregate3_returns_each_call_result_in_order(multicall3, token, voter, holder, params):
    """Three view calls in one eth_call come back in order, each with success and its return data."""
    results = multicall3.aggregate3.call(
        [call3(token, "balanceOf", voter), call3(token, "balanceOf", holder), call3(token, "symbol")]
    )
    assert [r.success for r in results] == [True, True, True]
    assert decode(["uint256"], results[0].returnData)[0] == params.VOTER
    assert decode(["uint256"], results[1].returnData)[0] == params.HOLDER
    assert decode(["string"], results[2].returnData)[0] == "SAHARA"


def test_aggregate3_reports_an_allowed_failure_and_goes_on(multicall3, token, other, params):
    """A failing call that allows failure gives success=false with its revert data; later calls still run."""
    too_much = 1  # the multicall contract holds no SAHARA
    results = multicall3.aggregate3.call(
        [call3(token, "transfer", other, too_much), call3(token, "balanceOf", other)]
    )
    assert results[0].success is False
    assert bytes(results[0].returnData)[:4] == INSUFFICIENT_BALANCE
    sender, balance, needed = decode(["address", "uint256", "uint256"], bytes(results[0].returnData)[4:])
    assert (sender.lower(), balance, needed) == (multicall3.address.lower(), 0, too_much)
    assert results[1].success is True


def test_aggregate3_reverts_on_a_failure_that_is_not_allowed(multicall3, token, other, reverts):
    """A failing call without allowFailure reverts the batch, naming its index, target and revert data."""
    calls = [call3(token, "balanceOf", other), call3(token, "transfer", other, 5, allow_failure=False)]
    with reverts(multicall3.Multicall3CallFailed, index=1, target=token.address) as info:
        multicall3.aggregate3(calls, sender=other)
    revert_data = bytes(info.inputs["returnData"])
    assert revert_data[:4] == INSUFFICIENT_BALANCE
    assert decode(["address", "uint256", "uint256"], revert_data[4:])[2] == 5


def test_aggregate3_is_not_payable(multicall3, token, other):
    """aggregate3 refuses native coin (it would stay in the contract): value goes through aggregate3Value."""
    import ape

    with ape.reverts():
        multicall3.aggregate3([call3(token, "symbol")], sender=other, value=1)


def test_aggregate3_value_forwards_each_calls_value(multicall3, recipient, spender, other):
    """aggregate3Value sends each call its value; the contract keeps nothing."""
    before = recipient.balance, spender.balance
    multicall3.aggregate3Value(
        [(recipient.address, False, 3, b""), (spender.address, False, 4, b"")], sender=other, value=7
    )
    assert (recipient.balance - before[0], spender.balance - before[1]) == (3, 4)
    assert multicall3.balance == 0


def test_aggregate3_value_refuses_a_value_that_does_not_match(multicall3, recipient, other, reverts):
    """Sending more than the calls forward reverts with the sent and forwarded totals."""
    with reverts(multicall3.Multicall3ValueMismatch, sent=10, total=3):
        multicall3.aggregate3Value([(recipient.address, True, 3, b"")], sender=other, value=10)


def test_aggregate3_value_reports_a_call_that_finds_too_little_value(multicall3, recipient, other, reverts):
    """A call asking for more than was sent fails; with allowFailure the batch still refuses the mismatch."""
    with reverts(multicall3.Multicall3CallFailed, index=0, target=recipient.address):
        multicall3.aggregate3Value([(recipient.address, False, 5, b"")], sender=other, value=1)
    with reverts(multicall3.Multicall3ValueMismatch, sent=1, total=5):
        multicall3.aggregate3Value([(recipient.address, True, 5, b"")], sender=other, value=1)
