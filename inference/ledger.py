"""What inference reads from and writes to the chain, through Ape (connected network): the asset's
contentHash in the registry, an account's licenses, and ``consumeMany`` from the operator (METER_ROLE)."""

from sahara_dao.core.contracts import project
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.settings import get_settings
from sahara_dao.inference.errors import InferenceError
from sahara_dao.inference.gate import LicenseView


class ChainLedger:
    """The registry and LicenseManager of the deployment on the connected chain."""

    def __init__(self, meter_account):
        from ape import chain

        self.chain = chain
        self.chain_id = chain.chain_id
        record = DeploymentStore(get_settings().deployments_dir).load(self.chain_id)
        if record is None:
            raise InferenceError(f"no deployment is recorded for chain {self.chain_id}: run `sahara deploy` first")
        contracts = project()
        self.registry = contracts.AssetRegistry.at(record.address("registry"))
        self.licenses = contracts.LicenseManager.at(record.address("licenses"))
        self.meter = meter_account

    def now(self) -> int:
        """The time the next block will have at the earliest (the chain's clock, not ours)."""
        return self.chain.blocks.head.timestamp + 1

    def content_hash(self, asset_id: int) -> bytes:
        if not self.registry.exists(asset_id):
            raise InferenceError(f"asset {asset_id} does not exist on chain {self.chain_id}: register it first")
        return bytes(self.registry.asset(asset_id).contentHash)

    def licenses_of(self, asset_id: int, account: str) -> list[LicenseView]:
        views = []
        for license_id in self.licenses.licensesOf(asset_id, account):
            lic = self.licenses.license(license_id)
            views.append(LicenseView(int(license_id), int(lic.kind), int(lic.expiresAt), int(lic.quota), int(lic.used)))
        return views

    def used(self, license_id: int) -> int:
        return int(self.licenses.license(license_id).used)

    def consume_many(self, license_ids: list[int], calls: list[int]) -> str:
        receipt = self.licenses.consumeMany(license_ids, calls, sender=self.meter)
        return receipt.txn_hash
