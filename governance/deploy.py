"""Deploy the DAO contract set on the connected chain, idempotently and resumably.

Order: timelock (deployer as temporary admin) -> one vesting wallet per vesting beneficiary ->
token (mints the genesis allocation) -> governor -> clock check -> roles (governor proposes and
cancels, anyone executes, the deployer renounces admin) -> the economy contracts (revenue vault,
asset registry with its Receipts, license manager, payout batcher, staking), whose operational
roles go to the Foundation's operator and whose admin role goes to the timelock (the DAO), the
deployer renouncing its own; the vault holds the protocol fee that settlement applies -> Multicall3 (the vote
relay's batcher: deployed on local chains, the canonical deployment elsewhere). The record is saved after every step:
a second run on a complete deployment changes nothing, and a run cut short resumes where it stopped.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict

from sahara_dao.core.accounts import require_funds
from sahara_dao.core.contracts import code_exists, project
from sahara_dao.core.deployments import COMPLETE, Deployment, DeploymentStore
from sahara_dao.governance.errors import DeploymentError
from sahara_dao.governance.params import GovernanceParams
from sahara_dao.token.allocation import TIMELOCK, Genesis

TIMESTAMP_CLOCK = "mode=timestamp"
ZERO_ADDRESS = "0x" + "00" * 20
ROLE_STEPS = ("grant proposer", "grant canceller", "grant executor", "renounce admin")
ECONOMY = ("vault", "registry", "licenses", "payouts", "staking")
MULTICALL3 = "multicall3"
CANONICAL_MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11"

Progress = Callable[[str, str], None]


def config_digest(genesis: Genesis, params: GovernanceParams) -> str:
    """A fingerprint of the inputs, so that a record is never resumed with other inputs."""
    payload = json.dumps(
        {"genesis": [asdict(g) for g in genesis.grants], "params": asdict(params)}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def check_clock_modes(token, governor) -> str:
    """Refuse a token and governor whose ERC-6372 clocks differ, or are not the timestamp clock
    that the parameters (in seconds) assume."""
    token_mode, governor_mode = token.CLOCK_MODE(), governor.CLOCK_MODE()
    if token_mode != governor_mode:
        raise DeploymentError(
            f"token {token.address} has CLOCK_MODE '{token_mode}' but governor {governor.address} has "
            f"'{governor_mode}': votes and proposal deadlines would be measured on different clocks. "
            "Deploy the governor for this token."
        )
    if token_mode != TIMESTAMP_CLOCK:
        raise DeploymentError(
            f"token {token.address} uses CLOCK_MODE '{token_mode}', but the DAO parameters are in seconds "
            f"and need '{TIMESTAMP_CLOCK}'"
        )
    return token_mode


class _Deployer:
    """One run of the deployment; every step is skipped when the record already holds it."""

    def __init__(self, record: Deployment, store: DeploymentStore, sender, progress: Progress):
        self.record, self.store, self.sender, self.progress = record, store, sender, progress
        self.project = project()

    def contract(self, name: str, contract_type: str, *args):
        factory = getattr(self.project, contract_type)
        if name in self.record.contracts:
            return factory.at(self.record.contracts[name])
        instance = self._run(name, lambda: factory.deploy(*args, sender=self.sender))
        self.record.contracts[name] = instance.address
        self.store.save(self.record)
        self.progress(name, instance.address)
        return instance

    def step(self, name: str, needed: bool, action: Callable) -> None:
        if name in self.record.steps:
            return
        if needed:
            receipt = self._run(name, action)
            self.progress(name, receipt.txn_hash)
        else:
            self.progress(name, "already in place")
        self.record.steps.append(name)
        self.store.save(self.record)

    def _run(self, name: str, action: Callable):
        from ape.exceptions import ApeException

        try:
            return action()
        except ApeException as exc:
            done = len(self.record.contracts) + len(self.record.steps)
            raise DeploymentError(
                f"step '{name}' failed: {exc}. The {done} steps done so far are recorded as partial in "
                f"{self.store.path(self.record.chain_id)}; fix the cause (for example fund "
                f"{self.sender.address}) and run `sahara deploy` again to resume."
            ) from exc


def deploy_dao(
    *,
    sender,
    genesis: Genesis,
    params: GovernanceParams,
    store: DeploymentStore,
    network: str,
    local: bool = True,
    progress: Progress = lambda step, detail: None,
) -> Deployment:
    """Deploy (or resume, or confirm) the DAO set on the connected chain and return its record."""
    from ape import chain

    params.check_against(genesis)
    record = _existing_record(store, chain.chain_id, config_digest(genesis, params), local, progress)
    if record is None:
        require_funds(sender, "the deployment")
        record = Deployment(
            chain_id=chain.chain_id,
            network=network,
            deployer=sender.address,
            config_digest=config_digest(genesis, params),
            genesis_time=chain.pending_timestamp,
        )
        store.save(record)
    elif record.status == COMPLETE and MULTICALL3 not in record.contracts:
        # recorded before the relay existed: add the batcher, nothing else changes
        _add_multicall3(_Deployer(record, store, sender, progress), local)
        _verify(record)
        return record
    elif record.status == COMPLETE:
        _verify(record)
        progress("verified", f"complete deployment on chain {record.chain_id}; nothing to do")
        return record
    else:
        require_funds(sender, "the rest of the deployment")
        progress(
            "resume", f"partial deployment on chain {record.chain_id}: {len(record.contracts)} contracts done"
        )

    run = _Deployer(record, store, sender, progress)
    timelock = run.contract("timelock", "SaharaTimelock", params.timelock_delay, [], [], sender.address)
    recipients, amounts = [], []
    for grant in genesis.grants:
        if grant.vesting:
            vesting = grant.vesting
            start = record.genesis_time if vesting.start is None else vesting.start
            wallet = run.contract(
                grant.key, "SaharaVestingWallet", grant.beneficiary, start, vesting.duration, vesting.cliff
            )
            recipients.append(wallet.address)
        else:
            recipients.append(timelock.address if grant.beneficiary == TIMELOCK else grant.beneficiary)
        amounts.append(grant.amount)
    token = run.contract("token", "SaharaToken", recipients, amounts)
    governor = run.contract(
        "governor",
        "SaharaGovernor",
        token.address,
        timelock.address,
        params.voting_delay,
        params.voting_period,
        params.proposal_threshold,
        params.quorum_percent,
        params.late_quorum_extension,
        params.guardian or ZERO_ADDRESS,
    )
    check_clock_modes(token, governor)
    _wire_roles(run, timelock, governor, sender)
    _deploy_economy(run, params, token, timelock, sender)
    _add_multicall3(run, local)
    record.status = COMPLETE
    store.save(record)
    return record


def _wire_roles(run: _Deployer, timelock, governor, sender) -> None:
    grants = {
        "grant proposer": (timelock.PROPOSER_ROLE(), governor.address),
        "grant canceller": (timelock.CANCELLER_ROLE(), governor.address),
        "grant executor": (timelock.EXECUTOR_ROLE(), ZERO_ADDRESS),
    }
    for name, (role, account) in grants.items():
        run.step(name, not timelock.hasRole(role, account),
                 lambda role=role, account=account: timelock.grantRole(role, account, sender=sender))  # fmt: skip
    admin = timelock.DEFAULT_ADMIN_ROLE()
    run.step("renounce admin", timelock.hasRole(admin, sender.address),
             lambda: timelock.renounceRole(admin, sender.address, sender=sender))  # fmt: skip


def _deploy_economy(run: _Deployer, params: GovernanceParams, token, timelock, sender) -> None:
    """The AI-asset economy: operational roles to the operator, admin to the timelock."""
    economy = params.economy
    vault = run.contract(
        "vault", "RevenueVault", token.address, sender.address, economy.operator,
        params.guardian or ZERO_ADDRESS, economy.claim_activation_delay,
    )  # fmt: skip
    registry = run.contract("registry", "AssetRegistry", timelock.address, economy.max_lineage_share_bps)
    licenses = run.contract(
        "licenses", "LicenseManager", registry.address, token.address, vault.address, sender.address
    )
    payouts = run.contract("payouts", "PayoutBatcher", token.address, sender.address)
    run.contract("staking", "SaharaStaking", token.address, timelock.address, economy.unstake_cooldown)
    fee = economy.protocol_fee_bps
    run.step("vault: set protocol fee", vault.protocolFeeBps() != fee,
             lambda: vault.setProtocolFeeBps(fee, sender=sender))  # fmt: skip
    _hand_over(run, "vault", vault, [("REVENUE_SOURCE_ROLE", licenses.address)], timelock, sender)
    _hand_over(run, "licenses", licenses, [("METER_ROLE", economy.operator)], timelock, sender)
    _hand_over(run, "payouts", payouts, [("PAYER_ROLE", economy.operator)], timelock, sender)


def _hand_over(run: _Deployer, name: str, contract, grants: list[tuple[str, str]], timelock, sender) -> None:
    """Grant ``contract``'s operational roles, make the timelock its admin, renounce the deployer's."""
    for role_name, account in grants:
        role = getattr(contract, role_name)()
        run.step(f"{name}: grant {role_name} to {account}", not contract.hasRole(role, account),
                 lambda role=role, account=account: contract.grantRole(role, account, sender=sender))  # fmt: skip
    admin = contract.DEFAULT_ADMIN_ROLE()
    run.step(f"{name}: admin to timelock", not contract.hasRole(admin, timelock.address),
             lambda: contract.grantRole(admin, timelock.address, sender=sender))  # fmt: skip
    run.step(f"{name}: renounce admin", contract.hasRole(admin, sender.address),
             lambda: contract.renounceRole(admin, sender.address, sender=sender))  # fmt: skip


def _add_multicall3(run: _Deployer, local: bool) -> None:
    """Our Multicall3 on a local chain; on any other network the canonical one, which must have code."""
    if local:
        run.contract(MULTICALL3, "Multicall3")
        return
    if MULTICALL3 in run.record.contracts:
        return
    if not code_exists(CANONICAL_MULTICALL3):
        raise DeploymentError(
            f"chain {run.record.chain_id} has no code at the canonical Multicall3 address {CANONICAL_MULTICALL3}: "
            "the vote relay needs it. Deploy Multicall3 there (see https://github.com/mds1/multicall) and run "
            "`sahara deploy` again."
        )
    run.record.contracts[MULTICALL3] = CANONICAL_MULTICALL3
    run.store.save(run.record)
    run.progress(MULTICALL3, f"{CANONICAL_MULTICALL3} (canonical)")


def _existing_record(store, chain_id, digest, local, progress) -> Deployment | None:
    record = store.load(chain_id)
    if record is None:
        return None
    missing = [name for name, address in record.contracts.items() if not code_exists(address)]
    if missing:
        if not local:
            raise DeploymentError(
                f"the record {store.path(chain_id)} lists contracts with no code on chain {chain_id} "
                f"({', '.join(missing)}): check the RPC endpoint; the record is kept as it is"
            )
        moved = store.archive(chain_id)
        progress("reset", f"local chain {chain_id} was reset; old record moved to {moved.name}")
        return None
    if record.config_digest != digest:
        raise DeploymentError(
            f"chain {chain_id} already has a deployment made from other genesis or governance files "
            f"(record {store.path(chain_id)}): deploy with the original files, or use a fresh chain"
        )
    return record


def _verify(record: Deployment) -> None:
    """Check a complete deployment against its parameters without sending anything."""
    contracts = project()
    token = contracts.SaharaToken.at(record.address("token"))
    governor = contracts.SaharaGovernor.at(record.address("governor"))
    timelock = contracts.SaharaTimelock.at(record.address("timelock"))
    check_clock_modes(token, governor)
    expected = {
        "token": (governor.token(), token.address),
        "timelock": (governor.timelock(), timelock.address),
        "proposer role": (timelock.hasRole(timelock.PROPOSER_ROLE(), governor.address), True),
        "admin renounced": (timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), record.deployer), False),
        "economy deployed": (all(name in record.contracts for name in ECONOMY), True),
        "multicall3 recorded": (MULTICALL3 in record.contracts, True),
    }
    wrong = [f"{name}: {got} (expected {want})" for name, (got, want) in expected.items() if got != want]
    if wrong:
        raise DeploymentError(
            f"the deployment on chain {record.chain_id} differs from its record: {'; '.join(wrong)}"
        )
