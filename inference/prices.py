"""Pay-per-use prices from configuration (``inference/prices.yaml``, or the file named by
``SAHARA_INFERENCE_PRICES_FILE``): integer base units per unit, looked up per asset on a chain,
then per model (the ``sahara.model`` name in its ONNX file), then the default.

Models are priced by name, not by their file's sha256: a model trained again on another CPU can
differ in its last bits (and so in its hash) while being the same model at the same price."""

from dataclasses import dataclass, field
from pathlib import Path

from sahara_dao.core.config_files import read_yaml
from sahara_dao.inference.errors import PriceError

HINT = "write prices as integers of base units (1 SAHARA = 10**18), as inference/prices.yaml shows"


@dataclass(frozen=True)
class PriceBook:
    """Unit prices in base units: ``assets`` (chain id, asset id) first, then ``models`` (name)."""

    default: int = 0
    models: dict[str, int] = field(default_factory=dict)
    assets: dict[tuple[int, int], int] = field(default_factory=dict)

    def unit_price(self, *, chain_id: int, asset_id: int, model: str) -> int:
        """The price of a unit of ``asset_id`` on ``chain_id`` whose model is named ``model``."""
        found = self.assets.get((chain_id, asset_id))
        return found if found is not None else self.models.get(model, self.default)

    def with_assets(self, chain_id: int, prices: dict[int, int]) -> "PriceBook":
        """This book with ``prices`` (asset id -> base units) set for ``chain_id`` (``--price``)."""
        assets = self.assets | {(chain_id, asset): _units(price, f"asset {asset}") for asset, price in prices.items()}
        return PriceBook(self.default, self.models, assets)


def _units(value, where: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PriceError(f"price of {where} is {value!r}: {HINT}")
    return value


def _int_key(value, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) or isinstance(value, str) and value.isdigit():
        return int(value)
    raise PriceError(f"{where} {value!r} is not an integer id: {HINT}")


def load_prices(path: Path) -> PriceBook:
    """The price book of a YAML file (``default``, ``models``, ``assets``), every price checked."""
    document = read_yaml(path, "inference prices", "set SAHARA_INFERENCE_PRICES_FILE to an existing file", PriceError) or {}
    if not isinstance(document, dict) or set(document) - {"default", "models", "assets"}:
        raise PriceError(f"inference prices file {path} must hold only default, models and assets: {HINT}")
    models = {}
    for name, price in (document.get("models") or {}).items():
        if not isinstance(name, str) or not name or name.startswith("0x"):
            raise PriceError(f"model {name!r} in {path}: name the model as its ONNX file's sahara.model metadata does "
                             "(e.g. labeling-quality), not by its hash; price one asset under assets")  # fmt: skip
        models[name] = _units(price, f"model {name}")
    assets = {}
    for chain_id, prices in (document.get("assets") or {}).items():
        chain = _int_key(chain_id, "chain id")
        if not isinstance(prices, dict):
            raise PriceError(f"assets of chain {chain} in {path} must map asset ids to prices: {HINT}")
        for asset_id, price in prices.items():
            asset = _int_key(asset_id, "asset id")
            assets[(chain, asset)] = _units(price, f"asset {asset} on chain {chain}")
    return PriceBook(_units(document.get("default", 0), "default"), models, assets)
