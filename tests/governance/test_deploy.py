"""`deploy_dao` on Ape's in-process chain: complete, idempotent, resumable, and refusing bad setups."""

import json
from dataclasses import replace

import pytest
from eth_utils import to_checksum_address

from sahara_dao.core.deployments import COMPLETE, PARTIAL
from sahara_dao.core.errors import AccountError
from sahara_dao.governance.deploy import (
    CANONICAL_MULTICALL3,
    ECONOMY,
    MULTICALL3,
    ROLE_STEPS,
    check_clock_modes,
    config_digest,
    deploy_dao,
)
from sahara_dao.governance.errors import DeploymentError, ParamsError
from sahara_dao.token.allocation import TOTAL_SUPPLY

NETWORK = "ethereum:local:test"
NO_CODE = to_checksum_address("0x" + "ab" * 20)


@pytest.fixture
def deployer(accounts):
    return accounts[0]


@pytest.fixture
def deploy(deployer, genesis, params, store):
    def run(**overrides):
        kwargs = dict(sender=deployer, genesis=genesis, params=params, store=store, network=NETWORK)
        return deploy_dao(**(kwargs | overrides))

    return run


def test_deploys_the_set_and_mints_the_genesis(deploy, project, genesis, params, chain):
    """Token, timelock, governor and one vesting wallet per beneficiary; the supply minted as configured."""
    record = deploy()
    assert record.status == COMPLETE and record.chain_id == chain.chain_id
    assert record.steps[: len(ROLE_STEPS)] == list(ROLE_STEPS)
    assert set(ECONOMY) <= set(record.contracts)
    token = project.SaharaToken.at(record.address("token"))
    assert token.totalSupply() == TOTAL_SUPPLY
    assert token.balanceOf(record.address("timelock")) == genesis.treasury
    for grant in genesis.vesting_grants:
        wallet = project.SaharaVestingWallet.at(record.address(grant.key))
        assert token.balanceOf(wallet) == grant.amount
        assert wallet.owner() == grant.beneficiary
        assert wallet.start() == record.genesis_time
        assert wallet.cliff() == record.genesis_time + grant.vesting.cliff
        assert wallet.duration() == grant.vesting.duration
    governor = project.SaharaGovernor.at(record.address("governor"))
    assert governor.votingDelay() == params.voting_delay
    assert governor.votingPeriod() == params.voting_period
    assert governor.lateQuorumVoteExtension() == params.late_quorum_extension
    assert governor.proposalGuardian() == params.guardian
    assert governor.CLOCK_MODE() == token.CLOCK_MODE() == "mode=timestamp"


def test_the_governor_fits_the_eip170_limit(deploy, chain):
    """The deployed governor's runtime code stays under 24,576 bytes (optimizer on)."""
    code = chain.provider.get_code(deploy().address("governor"))
    assert 15_000 < len(code) < 24_576


def test_wires_roles_and_renounces_admin(deploy, project, deployer):
    """The governor proposes and cancels, anyone executes, and the deployer keeps no admin role."""
    record = deploy()
    timelock = project.SaharaTimelock.at(record.address("timelock"))
    governor = record.address("governor")
    assert timelock.hasRole(timelock.PROPOSER_ROLE(), governor)
    assert timelock.hasRole(timelock.CANCELLER_ROLE(), governor)
    assert timelock.hasRole(timelock.EXECUTOR_ROLE(), "0x" + "00" * 20)
    assert not timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), deployer)
    assert not timelock.hasRole(timelock.PROPOSER_ROLE(), deployer)


def test_a_second_run_changes_nothing(deploy, deployer, store, chain):
    """Deploying again finds the complete record and sends no transaction."""
    first = deploy()
    nonce, head = deployer.nonce, chain.blocks.head.number
    second = deploy()
    assert second == first
    assert deployer.nonce == nonce and chain.blocks.head.number == head
    assert json.loads(store.path(chain.chain_id).read_text())["status"] == COMPLETE


def test_a_run_cut_short_is_recorded_as_partial_and_resumed(deploy, store, chain, project):
    """A crash after the token leaves a partial record; the next run reuses what exists."""

    def crash_after_token(step, detail):
        if step == "token":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        deploy(progress=crash_after_token)
    partial = store.load(chain.chain_id)
    assert partial.status == PARTIAL
    assert {"timelock", "token"} <= set(partial.contracts) and "governor" not in partial.contracts
    seen = []
    record = deploy(progress=lambda step, detail: seen.append(step))
    assert record.status == COMPLETE
    assert record.address("timelock") == partial.address("timelock")
    assert record.address("token") == partial.address("token")
    assert seen[0] == "resume" and "timelock" not in seen and "token" not in seen and "governor" in seen
    assert project.SaharaToken.at(record.address("token")).totalSupply() == TOTAL_SUPPLY


def test_a_resume_after_the_roles_were_granted_skips_them(deploy, store, chain, project):
    """If a crash lands after a role transaction but before its record, the rerun sees the role in place."""

    def crash_after_proposer(step, detail):
        if step == "grant proposer":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        deploy(progress=crash_after_proposer)
    assert "grant proposer" not in store.load(chain.chain_id).steps
    seen = {}
    record = deploy(progress=lambda step, detail: seen.setdefault(step, detail))
    assert seen["grant proposer"] == "already in place"
    assert record.steps[: len(ROLE_STEPS)] == list(ROLE_STEPS)


def test_an_account_without_funds_is_refused_before_anything_is_sent(deploy, accounts, store, chain):
    """A deployer with no native coin gets a clear error and no record is written."""
    broke = accounts.generate_test_account()
    with pytest.raises(AccountError, match="has no native coin to pay gas"):
        deploy(sender=broke)
    assert store.load(chain.chain_id) is None


def test_other_inputs_for_an_existing_deployment_are_refused(deploy, genesis, params):
    """A record made from other files is never resumed with these."""
    deploy()
    other = replace(params, voting_delay=2 * 86400)
    assert config_digest(genesis, other) != config_digest(genesis, params)
    with pytest.raises(DeploymentError, match="other genesis or governance files"):
        deploy(params=other)


def test_a_reset_local_chain_gets_a_fresh_deployment(deploy, store, chain):
    """A record whose contracts have no code (the local chain was reset) is archived, then redeployed."""
    record = deploy()
    data = json.loads(store.path(chain.chain_id).read_text())
    data["contracts"]["token"] = NO_CODE
    store.path(chain.chain_id).write_text(json.dumps(data))
    fresh = deploy()
    assert fresh.status == COMPLETE and fresh.address("token") != NO_CODE
    assert fresh.address("timelock") != record.address("timelock")
    assert store.path(chain.chain_id).with_name(f"{chain.chain_id}.stale-1.json").exists()


def test_missing_code_on_a_real_network_is_an_error(deploy, store, chain):
    """On a non-local network a record with missing code is kept and reported, never redeployed over."""
    deploy()
    data = json.loads(store.path(chain.chain_id).read_text())
    data["contracts"]["token"] = NO_CODE
    store.path(chain.chain_id).write_text(json.dumps(data))
    with pytest.raises(DeploymentError, match="no code on chain"):
        deploy(local=False)


def test_token_and_governor_with_different_clocks_are_refused(deploy, project, deployer):
    """A governor whose clock is not the token's (a block-number token) is refused."""
    record = deploy()
    token = project.SaharaToken.at(record.address("token"))
    block_token = project.BlockClockVotes.deploy(deployer, 10**24, sender=deployer)
    block_governor = project.SaharaGovernor.deploy(
        block_token, record.address("timelock"), 1, 100, 0, 4, 10, deployer, sender=deployer
    )
    assert block_governor.CLOCK_MODE() != token.CLOCK_MODE()
    with pytest.raises(DeploymentError, match="CLOCK_MODE 'mode=timestamp' but governor"):
        check_clock_modes(token, block_governor)
    with pytest.raises(DeploymentError, match="need 'mode=timestamp'"):
        check_clock_modes(block_token, block_governor)
    assert check_clock_modes(token, project.SaharaGovernor.at(record.address("governor"))) == "mode=timestamp"


def test_parameters_that_freeze_governance_are_refused_before_deploying(deploy, params, store, chain):
    """A quorum above the votes that can exist stops the deployment before any transaction."""
    frozen = replace(params, quorum_percent=90)
    with pytest.raises(ParamsError, match="lower quorum_percent"):
        deploy(params=frozen)
    assert store.load(chain.chain_id) is None


def test_economy_roles_go_to_the_operator_and_admin_to_the_timelock(deploy, project, params, deployer):
    """Vault, licenses and payouts: operator roles granted, the DAO admin, the deployer left with nothing."""
    record = deploy()
    timelock, operator = record.address("timelock"), params.economy.operator
    vault = project.RevenueVault.at(record.address("vault"))
    licenses = project.LicenseManager.at(record.address("licenses"))
    payouts = project.PayoutBatcher.at(record.address("payouts"))
    registry = project.AssetRegistry.at(record.address("registry"))
    staking = project.SaharaStaking.at(record.address("staking"))
    assert vault.hasRole(vault.SETTLER_ROLE(), operator)
    assert vault.hasRole(vault.GUARDIAN_ROLE(), params.guardian)
    assert vault.activationDelay() == params.economy.claim_activation_delay
    assert vault.hasRole(vault.REVENUE_SOURCE_ROLE(), licenses.address)
    assert licenses.hasRole(licenses.METER_ROLE(), operator)
    assert licenses.revenueVault() == vault.address
    assert payouts.hasRole(payouts.PAYER_ROLE(), operator)
    assert registry.maxLineageShareBps() == params.economy.max_lineage_share_bps
    assert staking.cooldown() == params.economy.unstake_cooldown
    for contract in (vault, registry, licenses, payouts, staking):
        admin = contract.DEFAULT_ADMIN_ROLE()
        assert contract.hasRole(admin, timelock), contract
        assert not contract.hasRole(admin, deployer), contract


def test_a_local_deployment_records_its_own_multicall3(deploy, project, chain):
    """On a local chain the vote relay's Multicall3 is deployed and recorded beside the DAO."""
    record = deploy()
    multicall3 = record.address(MULTICALL3)
    assert multicall3 != CANONICAL_MULTICALL3 and len(chain.provider.get_code(multicall3)) > 0
    results = project.Multicall3.at(multicall3).aggregate3.call([])
    assert list(results) == []


def test_a_complete_record_without_multicall3_gains_it_on_the_next_run(deploy, store, chain):
    """A deployment recorded before the relay existed gets Multicall3 added; nothing else is redeployed."""
    record = deploy()
    data = json.loads(store.path(chain.chain_id).read_text())
    del data["contracts"][MULTICALL3]
    store.path(chain.chain_id).write_text(json.dumps(data))
    again = deploy()
    assert again.status == COMPLETE and MULTICALL3 in again.contracts
    assert {k: v for k, v in again.contracts.items() if k != MULTICALL3} == {
        k: v for k, v in record.contracts.items() if k != MULTICALL3
    }


def test_a_real_network_without_the_canonical_multicall3_is_refused(deploy, store, chain):
    """Off local chains the canonical Multicall3 must have code; without it the deployment stops, partial.
    (tests/governance/test_relay_anvil.py records the canonical address where it has code.)"""
    with pytest.raises(DeploymentError, match=f"no code at the canonical Multicall3 address {CANONICAL_MULTICALL3}"):
        deploy(local=False)
    assert store.load(chain.chain_id).status == PARTIAL
    assert MULTICALL3 not in store.load(chain.chain_id).contracts
