"""A real anvil chain with the contract set deployed, and the economy's actions on it, for the tests
of the indexer and its projections (imported as ``anvil_chain``, like ``postgres``)."""

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eth_utils import keccak

from sahara_dao.core.accounts import load_account
from sahara_dao.core.chain import connect
from sahara_dao.core.contracts import project
from sahara_dao.core.deployments import Deployment, DeploymentStore
from sahara_dao.core.nodes import AnvilNode, free_port
from sahara_dao.core.units import UNIT
from sahara_dao.governance.deploy import deploy_dao
from sahara_dao.token.claims import claims_tree

NETWORK = "ethereum:local:foundry"
DATASET, MODEL, AGENT = 0, 1, 2  # IAssetRegistry.AssetKind
TRAINED_ON, FINETUNED_FROM, USES = 0, 1, 2  # IAssetRegistry.LineageKind
CREATOR, CURATOR, LABELER, TRAINER, VALIDATOR = 0, 1, 2, 3, 4  # IAssetRegistry.ContributorRole
DURATION, PERPETUAL, API = 0, 1, 2  # ILicenseManager.LicenseKind
BUYER = 2  # development account 2 holds the community bucket (3.5 billion SAHARA)
OPERATOR = 9  # the economy's operator in governance/params.yaml


def rpc(uri: str, method: str, *params):
    """A plain JSON-RPC call to the node (for acting on the chain while Ape is busy elsewhere)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(uri, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.load(response)
    assert "error" not in answer, answer
    return answer["result"]


def dev(index: int):
    return load_account(f"dev:{index}", local=True)


class Economy:
    """The economy contracts of a deployment, driven by development accounts (connected chain)."""

    def __init__(self, record: Deployment):
        from ape import chain

        contracts = project()
        self.chain = chain
        self.record = record
        self.token = contracts.SaharaToken.at(record.address("token"))
        self.registry = contracts.AssetRegistry.at(record.address("registry"))
        self.licenses = contracts.LicenseManager.at(record.address("licenses"))
        self.vault = contracts.RevenueVault.at(record.address("vault"))

    def register(self, owner: int, kind: int, label: str, contributors, lineage=()):
        """Register an asset; contributors are (dev index, share bps, role). Returns (asset id, receipt)."""
        receipt = self.registry.register(
            kind, keccak(text=label), f"ipfs://tests/{label}",
            [(dev(i).address, bps, role) for i, bps, role in contributors], list(lineage), sender=dev(owner),
        )  # fmt: skip
        return receipt.events.filter(self.registry.AssetRegistered)[0].assetId, receipt

    def offer(self, owner: int, asset_id: int, kind: int, duration: int, quota: int, price: int) -> int:
        receipt = self.licenses.publishOffer(asset_id, kind, duration, quota, price, False, sender=dev(owner))
        return receipt.events.filter(self.licenses.OfferPublished)[0].offerId

    def buy(self, offer_id: int, buyer: int = BUYER):
        """Approve and buy; returns (license id, receipt)."""
        price = self.licenses.offer(offer_id).price
        self.token.approve(self.licenses.address, price, sender=dev(buyer))
        receipt = self.licenses.buy(offer_id, sender=dev(buyer))
        return receipt.events.filter(self.licenses.LicensePurchased)[0].licenseId, receipt

    def consume(self, license_id: int, calls: int):
        return self.licenses.consume(license_id, calls, sender=dev(OPERATOR))

    def publish_and_claim(self, balances: dict[str, int], claimer: str):
        """Publish the next epoch's root over cumulative ``balances``, let it activate, claim one leaf."""
        tree = claims_tree(balances)
        epoch = self.vault.lastEpoch() + 1
        self.vault.publishRoot(epoch, tree.root, tree.total, sender=dev(OPERATOR))
        self.chain.mine(deltatime=self.vault.activationDelay() + 1)
        amount, proof = tree.proof(claimer)
        return epoch, tree, self.vault.claim(claimer, amount, proof, sender=dev(OPERATOR))

    def head(self) -> int:
        return self.chain.blocks.head.number

    def mine(self, blocks: int = 1) -> None:
        self.chain.mine(blocks)

    def snapshot(self) -> str:
        return self.chain.provider.make_request("evm_snapshot", [])

    def revert(self, snapshot: str) -> None:
        assert self.chain.provider.make_request("evm_revert", [snapshot]) is True

    def raw_transaction(self, tx_hash: str) -> str:
        return self.chain.provider.make_request("eth_getRawTransactionByHash", [tx_hash])

    def send_raw_transaction(self, raw: str) -> int:
        """Send a signed transaction again (after a revert); returns the block it was mined in."""
        tx_hash = self.chain.provider.make_request("eth_sendRawTransaction", [raw])
        return self.chain.provider.web3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)["blockNumber"]

    def block_hash(self, number: int) -> str:
        return "0x" + bytes(self.chain.provider.web3.eth.get_block(number)["hash"]).hex()


@dataclass
class DeployedChain:
    node: AnvilNode
    data_dir: Path
    record: Deployment
    ecosystem: str = "ethereum"

    @property
    def network(self) -> str:
        return f"{self.ecosystem}:local:foundry"

    def env(self, *others: "DeployedChain") -> dict[str, str]:
        """Settings that point the service at this chain (and ``others``) and the deployment records."""
        chains = {c.ecosystem: {"port": c.node.port, "chain_id": c.node.chain_id} for c in (self, *others)}
        return {"SAHARA_DATA_DIR": str(self.data_dir), "SAHARA_LOCAL_CHAINS": json.dumps(chains)}

    @contextmanager
    def economy(self) -> Iterator[Economy]:
        with connect(self.network, host=self.node.uri):
            yield Economy(self.record)


@contextmanager
def deployed_chain(data_dir: Path, chain_id: int, genesis, params, ecosystem: str = "ethereum") -> Iterator[DeployedChain]:
    """Start anvil with ``chain_id``, deploy the contract set on it (record under ``data_dir``)."""
    node = AnvilNode(port=free_port(), chain_id=chain_id).start()
    network = f"{ecosystem}:local:foundry"
    try:
        with connect(network, host=node.uri):
            record = deploy_dao(sender=dev(0), genesis=genesis, params=params,
                                store=DeploymentStore(data_dir / "deployments"), network=network)  # fmt: skip
        yield DeployedChain(node, data_dir, record, ecosystem)
    finally:
        node.stop()


def demo_economy(economy: Economy) -> dict:
    """The demo's economy in small: a dataset (3 contributors), a model trained on it, an agent using
    the model, one license of each kind, 10 metered calls, a published root and one claim."""
    dataset, _ = economy.register(
        4, DATASET, "dataset", [(4, 4000, CREATOR), (5, 3500, LABELER), (6, 2500, CURATOR)]
    )
    model, _ = economy.register(5, MODEL, "model", [(5, 10_000, TRAINER)], [(dataset, TRAINED_ON, 2000)])
    agent, _ = economy.register(
        6, AGENT, "agent", [(6, 9000, CREATOR), (7, 1000, VALIDATOR)], [(model, USES, 1000)]
    )
    perpetual = economy.offer(4, dataset, PERPETUAL, 0, 0, 1_000 * UNIT)
    monthly = economy.offer(5, model, DURATION, 30 * 86400, 0, 500 * UNIT)
    api = economy.offer(6, agent, API, 0, 1_000, 100 * UNIT)
    licenses = [economy.buy(offer)[0] for offer in (perpetual, monthly, api)]
    economy.consume(licenses[2], 10)
    balances = {dev(4).address: 300 * UNIT, dev(5).address: 200 * UNIT}
    epoch, tree, _ = economy.publish_and_claim(balances, dev(4).address)
    return {"assets": (dataset, model, agent), "offers": (perpetual, monthly, api), "licenses": licenses,
            "epoch": epoch, "root": tree.root, "balances": balances}  # fmt: skip
