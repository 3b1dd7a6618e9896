"""``sahara genesis``: inspect and validate the genesis allocation."""

from pathlib import Path

import click

from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import format_tokens
from sahara_dao.token.allocation import load_genesis


@click.group()
def genesis() -> None:
    """The genesis allocation of the 10,000,000,000 SAHARA (buckets and vesting)."""


@genesis.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
def check(file: Path | None) -> None:
    """Validate FILE (default: the configured genesis file) and print its buckets."""
    path = file or get_settings().genesis_file
    allocation = load_genesis(path)
    click.echo(f"{path}: valid, 10,000,000,000 SAHARA allocated")
    click.echo(f"{'bucket':24} {'SAHARA':>16} {'share':>7}  vesting")
    total = sum(allocation.buckets.values())
    for bucket, amount in allocation.buckets.items():
        grants = [g for g in allocation.grants if g.bucket == bucket]
        vest = grants[0].vesting
        schedule = (
            f"{len(grants)} wallets, cliff {vest.cliff // 86400} d, {vest.duration // 86400} d linear"
            if vest
            else ("timelock (treasury)" if grants[0].beneficiary == "timelock" else grants[0].beneficiary)
        )
        click.echo(f"{bucket:24} {format_tokens(amount):>16} {amount * 100 / total:6.2f}%  {schedule}")
