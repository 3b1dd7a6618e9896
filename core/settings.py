"""Settings of the service, from the environment (prefix ``SAHARA_``) with embedded defaults.

The embedded default is one machine: two local anvil chains and files under ``var/``.
"""

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent


class LocalChain(BaseModel):
    """A local anvil node that the project starts for one ecosystem."""

    port: int
    chain_id: int


class Settings(BaseSettings):
    """Everything configurable; override with ``SAHARA_<NAME>`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SAHARA_", env_nested_delimiter="__")

    project_dir: Path = PROJECT_DIR
    data_dir: Path = PROJECT_DIR / "var"
    genesis_file: Path = PROJECT_DIR / "token" / "genesis.yaml"
    governance_file: Path = PROJECT_DIR / "governance" / "params.yaml"
    labeling_file: Path = PROJECT_DIR / "token" / "labeling.yaml"
    relay_file: Path = PROJECT_DIR / "governance" / "relay.yaml"  # budget of the gasless vote relay
    database_url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_URL", "SAHARA_DATABASE_URL"))
    epoch_origin: int = 1_767_225_600  # unix seconds where epoch 1 starts (2026-01-01 00:00 UTC)
    epoch_seconds: int = 7 * 86_400  # length of a settlement epoch
    rpc_uris: dict[str, str] = {}  # "ecosystem:network" -> RPC URI of a real (non-local) network
    local_chains: dict[str, LocalChain] = {
        "ethereum": LocalChain(port=8545, chain_id=31337),
        "bsc": LocalChain(port=8546, chain_id=31338),
    }
    # The chain indexer (`sahara index`).
    indexer_confirmations: int | None = Field(None, ge=0)  # blocks under the head left out; None: 0 local, 12 else
    indexer_reorg_window: int = Field(64, ge=1)  # blocks before the checkpoint that every run reads again
    indexer_chunk_blocks: int = Field(2000, ge=1)  # blocks per eth_getLogs request (halved when a node refuses)
    # Off-chain polls: the Snapshot hub or sequencer URL that `sahara poll push` posts signed messages to.
    snapshot_hub: str | None = None
    # Inference (`sahara infer run`).
    inference_prices_file: Path = PROJECT_DIR / "inference" / "prices.yaml"  # pay-per-use price per unit
    inference_max_batch_rows: int = Field(64, ge=1)  # rows (or texts) per onnxruntime call at most
    inference_max_batch_bytes: int = Field(256 * 2**20, ge=1)  # estimated tensor bytes of one batch at most
    inference_threads: int = Field(0, ge=0)  # onnxruntime intra-op threads per session; 0: one per core
    inference_text_model: Path = PROJECT_DIR / "var" / "models" / "minilm-l6.onnx"  # where `make models-minilm` writes
    # The pipelines (Airflow DAGs in dags/, see dags/README.md).
    pipeline_networks: list[str] | None = None  # Ape network choices the DAGs map over; None: every local chain
    settlement_deadlines: dict[str, int] = {  # stage -> seconds after the epoch's end by which it must be done
        "compute": 6 * 3600, "publish": 12 * 3600, "verify": 24 * 3600,
    }  # fmt: skip
    gpu_pool_slots: int = Field(1, ge=1)  # inference batches run at once (the Airflow `gpu` pool)
    meter_account: str = "dev:9"  # holds METER_ROLE (an Ape alias off local chains)
    governance_account: str | None = None  # queues and executes proposals, relays ballots (None: dev:0 on local chains)
    quorum_alert_seconds: int = Field(24 * 3600, ge=0)  # alert when an active proposal short of quorum closes this soon
    # The dashboards: USD per whole unit (SAHARA, ETH, BNB) for the treasury's dependence share, e.g.
    # SAHARA_TREASURY_PRICES='{"SAHARA": "0.05", "ETH": "3500", "BNB": "600"}'; the page can override them.
    treasury_prices: dict[str, Decimal] = {}
    alert_webhook: str | None = None  # URL that receives each new alert as a JSON POST (Slack, PagerDuty, ...)

    @property
    def networks(self) -> list[str]:
        """The networks the pipelines work on: ``pipeline_networks``, else each local chain's."""
        if self.pipeline_networks is not None:
            return list(self.pipeline_networks)
        return [f"{ecosystem}:local:foundry" for ecosystem in sorted(self.local_chains)]

    @property
    def deployments_dir(self) -> Path:
        return self.data_dir / "deployments"

    @property
    def nodes_dir(self) -> Path:
        return self.data_dir / "nodes"

    @property
    def solc_dir(self) -> Path:
        return self.project_dir / ".solcx"

    @property
    def node_modules_bin(self) -> Path:
        return self.project_dir / "node_modules" / ".bin"


@lru_cache
def get_settings() -> Settings:
    return Settings()
