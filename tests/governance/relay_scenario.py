"""The relay's test scenario, the same on Ape's in-process chain and on anvil (imported as
``relay_scenario``): a deployed DAO, voters with known voting power, three proposals (one active,
one active for side effects, one canceled), and a batch of signed ballots mixing valid ones with
every kind of invalid one."""

from dataclasses import dataclass, field

from sahara_dao.core.units import UNIT
from sahara_dao.governance import lifecycle
from sahara_dao.governance.ballots import BALLOT, sign_with
from sahara_dao.governance.relay import Code, RelayConfig, RelayContracts, sign_vote

FOR, AGAINST, ABSTAIN = lifecycle.Support.FOR, lifecycle.Support.AGAINST, lifecycle.Support.ABSTAIN
HOLDINGS = {4: 5_000 * UNIT, 5: 3_000 * UNIT, 6: 2_000 * UNIT, 7: 10 * UNIT, 8: 4_000 * UNIT}
AIRDROP = 500_000_000 * UNIT  # dev account 3 (token/genesis.yaml)
CONFIG = RelayConfig(
    min_voting_power=1_000 * UNIT, ballots_per_proposal=1, delegations_per_address=3, batch_size=50
)
REASON_B = "Against: the grant has no milestones"
REASON_C = "Abstain — conflict of interest (I review grants)"

# label -> the code it is rejected with (None: valid, relayed and cast)
EXPECTED = {
    "plain ballot": None,
    "ballot with reason": None,
    "abstain with reason": None,
    "bad signature": Code.BAD_SIGNATURE,
    "wrong chain id": Code.WRONG_CHAIN,
    "wrong governor": Code.WRONG_CONTRACT,
    "reused nonce": Code.BAD_NONCE,
    "closed vote": Code.VOTING_CLOSED,
    "zero power": Code.NO_VOTING_POWER,
    "over quota": Code.OVER_QUOTA,
    "below minimum": Code.BELOW_MINIMUM,
    "already voted": Code.ALREADY_VOTED,
}


@dataclass
class Scenario:
    contracts: RelayContracts
    dev: dict  # index -> Ape account (the development accounts)
    proposal: int  # active: the batch votes on it
    side: int  # active: used to spend a nonce
    canceled: int
    nobody: object  # an account without SAHARA
    envelopes: dict = field(default_factory=dict)


def treasury_grant(contracts: RelayContracts, recipient: str, amount: int, description: str):
    """A treasury transfer proposal through the intents of governance/intents.py."""
    from sahara_dao.core.contracts import project
    from sahara_dao.governance import intents

    timelock = project().SaharaTimelock.at(contracts.governor.timelock())
    dao = intents.Dao({"token": contracts.token, "governor": contracts.governor, "timelock": timelock})
    return intents.treasury_transfer(dao, recipient=recipient, amount=amount, description=description)


def build(chain, contracts: RelayContracts, dev: dict, nobody) -> Scenario:
    """Fund and delegate the voters, create the proposals, open voting and spend the side effects."""
    token, governor = contracts.token, contracts.governor
    community = dev[2]
    for index, amount in HOLDINGS.items():
        token.transfer(dev[index].address, amount, sender=community)
    for index in (2, 3, *HOLDINGS):
        lifecycle.delegate(token, dev[index].address, dev[index])
    chain.mine(deltatime=2)
    ids = []
    for n, description in enumerate(("Relay: the proposal", "Relay: the side proposal", "Relay: to cancel")):
        grant = treasury_grant(contracts, dev[9].address, (n + 1) * UNIT, description)
        ids.append(lifecycle.propose(governor, grant, community))
        if n == 2:
            governor.cancel(*grant.args(), grant.description_hash, sender=dev[1])  # the guardian
    chain.mine(deltatime=governor.votingDelay() + 2)
    proposal, side, canceled = ids
    # dev 6 spends its plain nonce 0 on the side proposal; dev 8 votes on the proposal itself
    spent = sign_vote(contracts, dev[6], side, FOR, nonce=governor.nonces(dev[6].address))
    governor.castVoteBySig(side, FOR, dev[6].address, bytes.fromhex(spent["signature"][2:]), sender=dev[6])
    lifecycle.cast_vote(governor, proposal, FOR, dev[8])
    return Scenario(contracts, dev, proposal, side, canceled, nobody)


def mixed_envelopes(s: Scenario) -> dict:
    """One envelope per EXPECTED label."""
    c, dev, p = s.contracts, s.dev, s.proposal
    domain = c.domain(c.governor)

    def forged(signer, voter, **domain_changes):
        message = {"proposalId": s.side, "support": FOR, "voter": voter.address,
                   "nonce": c.governor.nonces(voter.address, s.side % 2**192)}  # fmt: skip
        envelope = sign_with(signer, domain | domain_changes, BALLOT, message)
        del envelope["signer"]  # as a wallet's eth_signTypedData_v4 document: the voter is in the message
        return envelope

    envelopes = {
        "plain ballot": sign_vote(c, dev[3], p, FOR),
        "ballot with reason": sign_vote(c, dev[4], p, AGAINST, reason=REASON_B),
        "abstain with reason": sign_vote(c, dev[5], p, ABSTAIN, reason=REASON_C, params=b"\x01\x02"),
        "bad signature": forged(dev[9], dev[5]),
        "wrong chain id": forged(dev[3], dev[3], chainId=domain["chainId"] + 1),
        "wrong governor": forged(dev[4], dev[4], verifyingContract=c.token.address),
        "reused nonce": sign_vote(c, dev[6], p, FOR, nonce=0),
        "closed vote": sign_vote(c, dev[3], s.canceled, FOR),
        "zero power": sign_vote(c, s.nobody, p, FOR),
        "over quota": sign_vote(c, dev[3], p, AGAINST, reason="changed my mind"),
        "below minimum": sign_vote(c, dev[7], p, FOR),
        "already voted": sign_vote(c, dev[8], p, AGAINST),
    }
    s.envelopes = envelopes
    return envelopes


def expected_tally() -> tuple[int, int, int]:
    """(against, for, abstain) on the proposal once the valid ballots are cast (dev 8 voted For directly)."""
    return HOLDINGS[4], AIRDROP + HOLDINGS[8], HOLDINGS[5]
