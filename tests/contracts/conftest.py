"""Fixtures of the Solidity contract tests: one SAHARA DAO deployed on Ape's in-process test chain.

The deployment mirrors production wiring: a treasury timelock (2-day delay) whose temporary admin
(the deployer) grants the governor PROPOSER_ROLE and CANCELLER_ROLE, opens EXECUTOR_ROLE to
everyone, then renounces admin; the SAHARA genesis split between the treasury, a team vesting
wallet and a few holders; the governor with a Foundation proposal guardian. It is deployed once per
session; Ape's pytest plugin snapshots the chain and reverts it after every test.
"""

import ast
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace

import ape
import pytest
from ape.exceptions import ContractLogicError, CustomError
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

from sahara_dao.governance import lifecycle
from sahara_dao.token.permit import PERMIT_TYPES

E = 10**18
DAY = 24 * 60 * 60
YEAR = 365 * DAY
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO_BYTES32 = b"\x00" * 32

PARAMS = SimpleNamespace(
    E=E,
    DAY=DAY,
    YEAR=YEAR,
    ZERO_ADDRESS=ZERO_ADDRESS,
    ZERO_BYTES32=ZERO_BYTES32,
    TOTAL_SUPPLY=10_000_000_000 * E,
    MIN_DELAY=2 * DAY,
    VOTING_DELAY=1 * DAY,
    VOTING_PERIOD=7 * DAY,
    PROPOSAL_THRESHOLD=1_000_000 * E,
    QUORUM_NUMERATOR=4,
    VOTE_EXTENSION=2 * DAY,
    VESTING_CLIFF=1 * YEAR,
    VESTING_DURATION=4 * YEAR,
    # Genesis allocation (base units). The deployer keeps the remainder, undelegated.
    TREASURY=4_000_000_000 * E,
    VESTING=1_500_000_000 * E,
    VOTER=500_000_000 * E,  # 5%: above the 4% quorum alone
    HOLDER=300_000_000 * E,  # 3%: below the quorum alone
    ABSTAINER=200_000_000 * E,  # with HOLDER: 5%, above the quorum
    PROPOSER=2_000_000 * E,  # above the 1,000,000 SAHARA proposal threshold, far below quorum
)
PARAMS.DEPLOYER = PARAMS.TOTAL_SUPPLY - (
    PARAMS.TREASURY + PARAMS.VESTING + PARAMS.VOTER + PARAMS.HOLDER + PARAMS.ABSTAINER + PARAMS.PROPOSER
)
PARAMS.QUORUM = PARAMS.TOTAL_SUPPLY * PARAMS.QUORUM_NUMERATOR // 100


# --------------------------------------------------------------------------------------------------
# Strict revert assertions
# --------------------------------------------------------------------------------------------------


def _normalize(value):
    if hasattr(value, "address"):
        value = value.address
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return bytes(value)
    return value


def _revert_data(message: str) -> bytes | None:
    """The raw revert data behind an undecoded ContractLogicError message, if it carries any.

    Ape reports it as 0x-hex, except that its eth-tester provider leaves it as the repr of the
    bytes when that repr is double-quoted (data containing a ' byte), e.g. 'b"1\\xb7..."'.
    """
    if message.startswith("0x"):
        return bytes.fromhex(message[2:])
    if message.startswith(("b'", 'b"')):
        value = ast.literal_eval(message)
        return value if isinstance(value, bytes) else None
    return None


@contextmanager
def _reverts(error, **expected_inputs):
    """Like ``ape.reverts(error, **inputs)`` but fails on anything ape.reverts lets through.

    ape.reverts skips input names the error does not have and accepts any revert it cannot decode
    into a custom error (an error bubbled up from another contract, or data Ape fails to parse,
    see _revert_data). Here the revert data must carry ``error``'s selector, and every named input
    must exist and match.
    """
    abi = error.abi
    with ape.reverts() as info:
        yield info
    exc = info.value
    if isinstance(exc, CustomError):
        assert exc.abi.signature == abi.signature, f"expected {abi.signature}, reverted with {exc!r}"
        actual = dict(exc.inputs)
    else:
        assert isinstance(exc, ContractLogicError)
        data = _revert_data(exc.revert_message or "")
        assert data is not None, f"expected {abi.signature}, reverted with {exc.revert_message!r}"
        selector = keccak(text=abi.selector)[:4]
        assert data[:4] == selector, f"expected {abi.signature}, reverted with 0x{data.hex()}"
        types = [ipt.canonical_type for ipt in abi.inputs]
        actual = dict(zip([ipt.name for ipt in abi.inputs], abi_decode(types, data[4:]), strict=True))
    info.inputs = actual  # the decoded error arguments, for further assertions after the block
    for name, expected in expected_inputs.items():
        assert name in actual, f"{abi.name} has no input {name!r} (inputs: {sorted(actual)})"
        assert _normalize(actual[name]) == _normalize(expected), (
            f"{abi.name}.{name}: expected {expected!r}, got {actual[name]!r}"
        )


@pytest.fixture(scope="session")
def reverts():
    """``with reverts(contract.SomeError, arg=value) as info:`` asserts the exact custom error and its
    args; afterwards ``info.inputs`` holds all of the error's decoded arguments."""
    return _reverts


# --------------------------------------------------------------------------------------------------
# Role-named accounts
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def params():
    return PARAMS


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def guardian(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def voter(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def holder(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def abstainer(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def proposer(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def beneficiary(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def recipient(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def other(accounts):
    return accounts[8]


@pytest.fixture(scope="session")
def spender(accounts):
    return accounts[9]


# --------------------------------------------------------------------------------------------------
# Deployment
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dao(project, chain, deployer, guardian, voter, holder, abstainer, proposer, beneficiary):
    """The whole DAO, wired like production; every contract fixture below comes from here."""
    p = PARAMS
    timelock = project.SaharaTimelock.deploy(p.MIN_DELAY, [], [], deployer, sender=deployer)
    vesting_start = chain.pending_timestamp + 10
    vesting_wallet = project.SaharaVestingWallet.deploy(
        beneficiary, vesting_start, p.VESTING_DURATION, p.VESTING_CLIFF, sender=deployer
    )
    allocation = [
        (timelock, p.TREASURY),
        (vesting_wallet, p.VESTING),
        (voter, p.VOTER),
        (holder, p.HOLDER),
        (abstainer, p.ABSTAINER),
        (proposer, p.PROPOSER),
        (deployer, p.DEPLOYER),
    ]
    token = project.SaharaToken.deploy(
        [a.address for a, _ in allocation], [amount for _, amount in allocation], sender=deployer
    )
    governor = project.SaharaGovernor.deploy(
        token,
        timelock,
        p.VOTING_DELAY,
        p.VOTING_PERIOD,
        p.PROPOSAL_THRESHOLD,
        p.QUORUM_NUMERATOR,
        p.VOTE_EXTENSION,
        guardian,
        sender=deployer,
    )
    timelock.grantRole(timelock.PROPOSER_ROLE(), governor, sender=deployer)
    timelock.grantRole(timelock.CANCELLER_ROLE(), governor, sender=deployer)
    timelock.grantRole(timelock.EXECUTOR_ROLE(), ZERO_ADDRESS, sender=deployer)
    timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), deployer, sender=deployer)
    for account in (voter, holder, abstainer, proposer):
        token.invoke_transaction("delegate", account, sender=account)
    chain.mine(deltatime=60)  # the delegations are now in the past: proposing may read them
    return SimpleNamespace(timelock=timelock, vesting_wallet=vesting_wallet, token=token, governor=governor)


@pytest.fixture(scope="session")
def token(dao):
    return dao.token


@pytest.fixture(scope="session")
def timelock(dao):
    return dao.timelock


@pytest.fixture(scope="session")
def governor(dao):
    return dao.governor


@pytest.fixture(scope="session")
def vesting_wallet(dao):
    return dao.vesting_wallet


@pytest.fixture(scope="session")
def ops_timelock(project, deployer):
    """A standalone timelock (1-day delay, no admin) whose proposer and executor is the deployer.

    The DAO timelock takes schedules only from the governor, which always asks for the minimum
    delay; this one lets the tests schedule directly.
    """
    return project.SaharaTimelock.deploy(DAY, [deployer], [deployer], ZERO_ADDRESS, sender=deployer)


# --------------------------------------------------------------------------------------------------
# EIP-712 signing
# --------------------------------------------------------------------------------------------------


def _sign(account, domain, types, primary_type, message):
    signable = encode_typed_data(
        full_message={
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                **types,
            },
            "primaryType": primary_type,
            "domain": domain,
            "message": message,
        }
    )
    return Account.from_key(account.private_key).sign_message(signable)


def _domain(chain, name, contract):
    return {"name": name, "version": "1", "chainId": chain.chain_id, "verifyingContract": contract.address}


@pytest.fixture(scope="session")
def sign_permit(chain, token):
    """Signs an ERC-2612 Permit of ``token`` with ``owner``'s key (or ``signer``'s, to forge one)."""

    def _sign_permit(owner, spender, value, deadline, nonce=None, signer=None):
        nonce = token.nonces(owner) if nonce is None else nonce
        return _sign(
            signer or owner,
            _domain(chain, "Sahara", token),
            PERMIT_TYPES,
            "Permit",
            {
                "owner": owner.address,
                "spender": spender.address,
                "value": value,
                "nonce": nonce,
                "deadline": deadline,
            },
        )

    return _sign_permit


@pytest.fixture(scope="session")
def sign_delegation(chain, token):
    """Signs an ERC-5805 Delegation of ``token`` with ``signer``'s key."""

    def _sign_delegation(signer, delegatee, nonce, expiry):
        return _sign(
            signer,
            _domain(chain, "Sahara", token),
            {
                "Delegation": [
                    {"name": "delegatee", "type": "address"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "expiry", "type": "uint256"},
                ]
            },
            "Delegation",
            {"delegatee": delegatee.address, "nonce": nonce, "expiry": expiry},
        )

    return _sign_delegation


@pytest.fixture(scope="session")
def sign_ballot(chain, governor):
    """Signs a governor Ballot (or an ExtendedBallot when ``reason`` is given) with ``signer``'s key."""

    def _sign_ballot(voter, proposal_id, support, nonce, signer=None, reason=None, params=b""):
        message = {"proposalId": proposal_id, "support": support, "voter": voter.address, "nonce": nonce}
        fields = [
            {"name": "proposalId", "type": "uint256"},
            {"name": "support", "type": "uint8"},
            {"name": "voter", "type": "address"},
            {"name": "nonce", "type": "uint256"},
        ]
        primary_type = "Ballot"
        if reason is not None:
            primary_type = "ExtendedBallot"
            fields += [{"name": "reason", "type": "string"}, {"name": "params", "type": "bytes"}]
            message.update(reason=reason, params=params)
        signed = _sign(
            signer or voter,
            _domain(chain, "SaharaGovernor", governor),
            {primary_type: fields},
            primary_type,
            message,
        )
        return signed.signature

    return _sign_ballot


# --------------------------------------------------------------------------------------------------
# Governance flow
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def proposal_state():
    """The IGovernor.ProposalState values."""
    return lifecycle.ProposalState


@pytest.fixture(scope="session")
def vote():
    """The GovernorCountingSimple support values."""
    return lifecycle.Support


def state_bitmap(*states):
    """The bytes32 bitmap of proposal or timelock states that OpenZeppelin errors report."""
    return sum(1 << s for s in states).to_bytes(32, "big")


@pytest.fixture(scope="session")
def bitmap():
    return state_bitmap


@dataclass
class Proposal:
    """A proposal as the governor identifies it: its actions and the hash of its description."""

    targets: list
    values: list
    calldatas: list
    description: str
    id: int
    receipt: object = None

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)

    @property
    def args(self) -> tuple:
        """(targets, values, calldatas, descriptionHash) for queue/execute/cancel/hashProposal."""
        return (self.targets, self.values, self.calldatas, self.description_hash)


@pytest.fixture(scope="session")
def propose(governor, proposer):
    """``propose([(target, value, calldata), ...], description, sender=proposer)`` -> Proposal."""

    def _propose(actions, description, sender=None):
        targets = [getattr(target, "address", target) for target, _, _ in actions]
        values = [value for _, value, _ in actions]
        calldatas = [bytes(calldata) for _, _, calldata in actions]
        receipt = governor.propose(targets, values, calldatas, description, sender=sender or proposer)
        proposal_id = governor.hashProposal(targets, values, calldatas, keccak(text=description))
        return Proposal(targets, values, calldatas, description, proposal_id, receipt)

    return _propose


@pytest.fixture(scope="session")
def start_voting(chain, governor):
    """Moves the chain just past the proposal's snapshot: the proposal is Active."""

    def _start_voting(proposal):
        chain.mine(timestamp=governor.proposalSnapshot(proposal.id) + 1)

    return _start_voting


@pytest.fixture(scope="session")
def end_voting(chain, governor):
    """Moves the chain just past the proposal's (possibly extended) deadline."""

    def _end_voting(proposal):
        chain.mine(timestamp=governor.proposalDeadline(proposal.id) + 1)

    return _end_voting


@pytest.fixture(scope="session")
def pass_proposal(governor, voter, start_voting, end_voting):
    """Votes the proposal through: ``voter`` (above quorum alone) votes For; voting then ends."""

    def _pass_proposal(proposal):
        start_voting(proposal)
        governor.castVote(proposal.id, lifecycle.Support.FOR, sender=voter)
        end_voting(proposal)

    return _pass_proposal


@pytest.fixture(scope="session")
def queue_proposal(chain, governor, other):
    """Queues a Succeeded proposal in the timelock and waits until its eta."""

    def _queue_proposal(proposal):
        receipt = governor.queue(*proposal.args, sender=other)
        chain.mine(timestamp=governor.proposalEta(proposal.id))
        return receipt

    return _queue_proposal


@pytest.fixture(scope="session")
def enact(governor, other, propose, pass_proposal, queue_proposal):
    """Proposes, passes, queues and executes ``actions``; returns (Proposal, execute receipt)."""

    def _enact(actions, description):
        proposal = propose(actions, description)
        pass_proposal(proposal)
        queue_proposal(proposal)
        return proposal, governor.execute(*proposal.args, sender=other)

    return _enact
