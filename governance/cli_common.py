"""What the ``sahara deploy`` / ``sahara gov`` command modules share: the network and account
options, the recorded deployment of the connected chain, and how times are printed."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click

from sahara_dao.core.chain import connect
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.settings import get_settings
from sahara_dao.governance.errors import DeploymentError
from sahara_dao.governance.intents import Dao, load_dao

network_option = click.option(
    "--network", default="ethereum:local:foundry", show_default=True,
    help="Ape network choice ECOSYSTEM:NETWORK:PROVIDER, e.g. bsc:local:foundry or ethereum:local:test.",
)  # fmt: skip
account_option = click.option(
    "--account", default=None,
    help="Ape account alias that signs (`ape accounts import ALIAS`); on local chains dev:N picks "
    "development account N (default dev:0).",
)  # fmt: skip


@contextmanager
def deployment(network: str) -> Iterator[Dao]:
    """Connect and yield the DAO's contracts recorded for the connected chain."""
    from ape import chain

    with connect(network):
        record = DeploymentStore(get_settings().deployments_dir).load(chain.chain_id)
        if record is None or record.status != "complete":
            raise DeploymentError(
                f"no complete deployment on chain {chain.chain_id}: run `sahara deploy --network {network}`"
            )
        yield load_dao(record.contracts)


def when(timestamp: int | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC") if timestamp else "-"


def duration(seconds: int) -> str:
    """``3d 4h 5m`` (seconds only under a minute)."""
    if seconds < 60:
        return f"{seconds}s"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{rest // 60}m" if rest >= 60 else ""]
    return " ".join(p for p in parts if p)
