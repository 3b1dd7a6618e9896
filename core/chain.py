"""Network access through Ape: validated network choices, and connections to the local nodes."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sahara_dao.core.errors import NetworkError
from sahara_dao.core.nodes import rpc_chain_id
from sahara_dao.core.settings import get_settings


@cache
def network_choices() -> tuple[str, ...]:
    """Every ``ecosystem:network:provider`` choice Ape knows, with its installed plugins."""
    from ape import networks

    return tuple(sorted(networks.get_network_choices()))


def validate_network(choice: str) -> str:
    """Return ``choice`` if Ape knows it, else raise an error that lists the valid choices."""
    choices = network_choices()
    if choice not in choices:
        local = ", ".join(c for c in choices if ":local:" in c and not c.startswith(":"))
        ecosystems = ", ".join(sorted({c.split(":")[0] for c in choices} - {""}))
        raise NetworkError(
            f"unknown network '{choice}'. Choose ECOSYSTEM:NETWORK:PROVIDER; local choices: {local}; "
            f"ecosystems: {ecosystems}; `ape networks list` shows every network of each ecosystem."
        )
    return choice


def is_local(choice: str) -> bool:
    return choice.split(":")[1] == "local"


def local_node_uri(ecosystem: str) -> str:
    """The URI of the project's anvil node for ``ecosystem``, checked to answer."""
    settings = get_settings()
    if ecosystem not in settings.local_chains:
        raise NetworkError(f"no local chain is configured for '{ecosystem}' in settings.local_chains")
    chain = settings.local_chains[ecosystem]
    uri = f"http://127.0.0.1:{chain.port}"
    if rpc_chain_id(uri) is None:
        raise NetworkError(
            f"no anvil node answers on {uri} for '{ecosystem}': start it with `sahara node start {ecosystem}`."
        )
    return uri


@contextmanager
def connect(choice: str, host: str | None = None) -> Iterator:
    """Connect Ape to ``choice``; ``*:local:foundry`` goes to the project's node (or ``host``)."""
    from ape import networks

    validate_network(choice)
    from ape.exceptions import ApeException

    ecosystem, network, provider = choice.split(":")
    provider_settings = {}
    if network == "local" and provider == "foundry":
        provider_settings["host"] = host or local_node_uri(ecosystem)
    elif uri := get_settings().rpc_uris.get(f"{ecosystem}:{network}"):
        provider_settings["uri"] = uri
    try:
        context = networks.parse_network_choice(choice, provider_settings=provider_settings or None)
        context.__enter__()
    except ApeException as exc:
        raise NetworkError(
            f"cannot connect to {choice}: {str(exc).rstrip('.')}. Set its RPC endpoint in SAHARA_RPC_URIS, "
            f'for example SAHARA_RPC_URIS=\'{{"{ecosystem}:{network}": "https://..."}}\''
        ) from None
    _forget_chain_ids()
    try:
        yield context
    finally:
        context.__exit__(None, None, None)
        _forget_chain_ids()


def next_timestamp() -> int:
    """The earliest timestamp the connected chain's next block can have: anvil's clock runs ahead of
    the wall clock when it mines fast, and a pending block is never older than the head."""
    from ape import chain

    return max(chain.pending_timestamp, chain.blocks.head.timestamp + 1)


def _forget_chain_ids() -> None:
    """eth-ape 0.8.51 caches chain ids of local networks by "local:<provider>" without the
    ecosystem, so after ethereum:local:foundry, bsc:local:foundry reports ethereum's chain id (and
    signs with it). Clearing the cache on every switch makes Ape ask the connected node."""
    from ape import chain

    chain._chain_id_cache.clear()


def pipeline_networks(only: str | None = None) -> list[str]:
    """The networks the scheduled pipelines map over (settings ``pipeline_networks``, else each local
    chain), or just ``only`` (a configured network choice or its ecosystem, e.g. ``bsc``)."""
    networks = get_settings().networks
    if not only:
        return networks
    chosen = [n for n in networks if only in (n, n.split(":")[0])]
    if not chosen:
        raise NetworkError(
            f"'{only}' is not a configured chain: choose one of {', '.join(networks)} "
            "(or add it to SAHARA_PIPELINE_NETWORKS)"
        )
    return chosen
