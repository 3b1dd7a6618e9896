"""``sahara gov propose ...``: one subcommand per intent; each checks its inputs against the
deployed contracts, proposes, and prints the proposal id (computed locally, checked on-chain)."""

from collections.abc import Callable
from pathlib import Path

import click

from sahara_dao.core.accounts import load_account
from sahara_dao.core.chain import is_local
from sahara_dao.core.units import to_base_units, to_seconds
from sahara_dao.governance import intents, lifecycle
from sahara_dao.governance.cli_common import account_option, deployment, network_option, when
from sahara_dao.governance.errors import IntentError


def _read_description(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not value.startswith("@"):
        return value
    path = Path(value[1:])
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"cannot read the description file {path}: {exc}") from None


description_option = click.option(
    "--description", required=True, callback=_read_description,
    help="Proposal text, or @FILE to read it (Markdown) from a file; its first line is the title voters see.",
)  # fmt: skip


def _submit(network: str, account: str | None, build: Callable[[intents.Dao], lifecycle.Proposal]) -> None:
    with deployment(network) as dao:
        sender = load_account(account, local=is_local(network))
        proposal = build(dao)
        proposal_id = lifecycle.propose(dao.governor, proposal, sender)
        click.echo(f"proposal {proposal_id} created by {sender.address}")
        click.echo(f"  voting from {when(dao.governor.proposalSnapshot(proposal_id))} "
                   f"to {when(dao.governor.proposalDeadline(proposal_id))}")  # fmt: skip


def _value(setting: intents.Setting, raw: str, name: str) -> int | str:
    """A command-line value in the setting's unit: durations (7d, 48h or seconds), SAHARA amounts
    (decimals allowed), whole numbers, or an address."""
    from sahara_dao.core.errors import ConfigError

    try:
        if setting.unit == "seconds":
            return to_seconds(raw, name)
        if setting.unit == "base units":
            return to_base_units(raw, name)
    except ConfigError as exc:
        raise IntentError(str(exc)) from None
    if setting.unit == "address":
        return raw
    if not raw.isdigit():
        raise IntentError(f"{name} takes a whole number of {setting.unit}, not {raw!r}")
    return int(raw)


def _listing(table: dict[str, intents.Setting]) -> str:
    units = {"seconds": "duration, e.g. 2d", "base units": "SAHARA", "percent": "percent of supply",
             "bps": "basis points", "address": "address"}  # fmt: skip
    return "\n".join(f"  {name:24} {units[s.unit]}  ({s.contract}.{s.setter})" for name, s in table.items())


@click.group()
def propose() -> None:
    """Create a proposal from an intent (what should happen), never from raw calldata."""


@propose.command()
@network_option
@account_option
@click.option("--to", "recipient", required=True, help="Recipient of the transfer.")
@click.option("--amount", required=True, help="Amount in whole tokens (decimals allowed, e.g. 1500.5).")
@click.option("--native", is_flag=True, help="Send the chain's native coin (ETH, BNB) instead of SAHARA.")
@description_option
def transfer(
    network: str, account: str | None, recipient: str, amount: str, native: bool, description: str
) -> None:
    """Send SAHARA (or native coin with --native) from the treasury timelock.

    Refused when the treasury does not hold the amount now.
    """
    value = to_base_units(amount, "--amount")
    _submit(network, account, lambda dao: intents.treasury_transfer(
        dao, recipient=recipient, amount=value, description=description, native=native))  # fmt: skip


@propose.command("set-setting", help="Change a governor setting.\n\n\b\nSETTING is one of:\n"
                 + _listing(intents.GOVERNOR_SETTINGS))  # fmt: skip
@network_option
@account_option
@click.argument("setting", type=click.Choice(list(intents.GOVERNOR_SETTINGS)))
@click.argument("value")
@description_option
def set_setting(network: str, account: str | None, setting: str, value: str, description: str) -> None:
    parsed = _value(intents.GOVERNOR_SETTINGS[setting], value, setting)
    _submit(network, account, lambda dao: intents.set_governor_setting(
        dao, setting=setting, value=parsed, description=description))  # fmt: skip


@propose.command("set-param", help="Change a protocol parameter of the economy contracts.\n\n\b\nPARAMETER is one of:\n"
                 + _listing(intents.PARAMETERS) + "\n\nSettlement reads the protocol fee from the vault: a change "
                 "applies to the epochs settled after execution.")  # fmt: skip
@network_option
@account_option
@click.argument("parameter")
@click.argument("value")
@description_option
def set_param(network: str, account: str | None, parameter: str, value: str, description: str) -> None:
    setting = intents.PARAMETERS.get(parameter.replace("-", "_"))
    parsed = _value(setting, value, parameter) if setting else value
    _submit(network, account, lambda dao: intents.set_parameter(
        dao, parameter=parameter, value=parsed, description=description))  # fmt: skip


def _role_command(name: str, grant: bool) -> click.Command:
    verb = "Grant" if grant else "Revoke"

    @propose.command(name, short_help=f"{verb} a role on a deployed contract.", help=f"{verb} ROLE (by name, e.g. SETTLER_ROLE) on the deployed CONTRACT "
                     f"({', '.join(c for c in intents.CONTRACT_TYPES if c not in ('token', 'governor'))}) "
                     f"{'to' if grant else 'from'} ACCOUNT.\n\nRefused when the timelock does not administer "
                     "that role there, or when nothing would change.")  # fmt: skip
    @network_option
    @account_option
    @click.argument("contract")
    @click.argument("role")
    @click.argument("target_account", metavar="ACCOUNT")
    @description_option
    def command(network: str, account: str | None, contract: str, role: str, target_account: str,
                description: str) -> None:  # fmt: skip
        build = intents.grant_role if grant else intents.revoke_role
        _submit(network, account, lambda dao: build(
            dao, contract=contract, role=role, account=target_account, description=description))  # fmt: skip

    return command


_role_command("grant-role", grant=True)
_role_command("revoke-role", grant=False)


@propose.command("remove-guardian")
@network_option
@account_option
@description_option
def remove_guardian(network: str, account: str | None, description: str) -> None:
    """End the Foundation's proposal guardian (setProposalGuardian(address(0))).

    Afterwards only proposers cancel their own proposals.
    """
    _submit(network, account, lambda dao: intents.remove_guardian(dao, description=description))
