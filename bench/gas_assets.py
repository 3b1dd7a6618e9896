#!/usr/bin/env python3
"""Gas of the AI-asset economy: asset registration, license purchases and API metering.

Run from the repository root (Ape compiles first if needed):

    .venv/bin/python bench/gas_assets.py

Everything runs on Ape's in-process test chain (py-evm, Prague rules): the script deploys the
SAHARA token, the AssetRegistry (which deploys its Receipt contract), a RevenueVault and the
LicenseManager (granted the vault's REVENUE_SOURCE_ROLE, as in production), then measures
`receipt.gas_used` (the 21,000 base and the calldata included) of each operation over a few
samples. No reference figures exist for these contracts; the table says what each row includes so
that a change in the contracts shows up as a change in a row. What recording a fee in the vault
(`recordRevenue`) adds to a purchase is measured against a LicenseManager compiled in memory without
that call, buying the same way.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)  # Ape reads ape-config.yaml and the compiled project of the working directory

from sahara_dao.core.contracts import ensure_compiler  # noqa: E402

ensure_compiler()  # the offline solc launcher, in case Ape has to compile

from ape import accounts, chain, networks, project  # noqa: E402
from ape.logging import LogLevel, logger  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_account.messages import encode_typed_data  # noqa: E402
from eth_utils import keccak, to_checksum_address  # noqa: E402

from sahara_dao.token.permit import PERMIT_TYPES  # noqa: E402

logger.set_level(LogLevel.ERROR)  # no "Confirmed 0x..." line per transaction

ETHER = 10**18
DAY = 24 * 3600
TOTAL_SUPPLY = 10_000_000_000 * ETHER
BUYER_BALANCE = 1_000_000 * ETHER
PRICE = 250 * ETHER
LINEAGE_CAP_BPS = 3_000
DATASET, MODEL = 0, 1
TRAINED_ON, USES = 0, 2
CREATOR, LABELER, TRAINER = 0, 2, 3
DURATION, PERPETUAL, API = 0, 1, 2
# A CIDv1 (base32) IPFS URI: 66 characters, three storage words plus the length word.
URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
SAMPLES = 5
BATCH = 50
EIP170_LIMIT = 24_576
EIP3860_LIMIT = 49_152



def calldata_tokens(data: bytes) -> int:
    """EIP-7623 calldata tokens: one per zero byte, four per non-zero byte."""
    zeros = data.count(0)
    return zeros + 4 * (len(data) - zeros)


@dataclass
class Samples:
    gas: dict[str, list[int]] = field(default_factory=dict)
    floor: dict[str, int] = field(default_factory=dict)

    def add(self, op: str, receipt, per: int = 1) -> None:
        floor = 21_000 + 10 * calldata_tokens(bytes(receipt.transaction.data))
        self.gas.setdefault(op, []).append(int(receipt.gas_used) / per)
        self.floor[op] = max(self.floor.get(op, 0), round(floor / per))


S = Samples()


def fresh_address(label: str) -> str:
    """An address that has never held anything on the chain."""
    return to_checksum_address(keccak(text=f"sahara-bench-assets/{label}")[12:])


def content(label: str) -> bytes:
    return keccak(text=f"sahara-bench-assets/content/{label}")


def fmt(n: float) -> str:
    return f"{round(n):,}"


RECORD_CALL = "        IRevenueVault(vault).recordRevenue(terms.assetId, terms.price);\n"


def no_record_manager():
    """LicenseManager without its call to the vault's recordRevenue, compiled in memory with the
    project's solc and settings (see bench/gas_vault.py); None (with a note) if it cannot be built."""
    from variants import compile_variant, compiler_settings

    source = (ROOT / "contracts" / "economy" / "LicenseManager.sol").read_text()
    if RECORD_CALL not in source:
        print("(no LicenseManager variant: the recordRevenue call is no longer where this script expects it)")
        return None
    source = source.replace(RECORD_CALL, "").replace(
        "contract LicenseManager ", "contract LicenseManagerNoRecord "
    )
    version, settings = compiler_settings("LicenseManager")
    # beside the real one, so that its relative imports resolve
    container, error = compile_variant(
        "LicenseManagerNoRecord", "contracts/economy/LicenseManagerNoRecord.sol", source, version, settings
    )
    if container is None:
        print(f"(no LicenseManager variant: {error})")
    return container


def main() -> int:
    started = time.monotonic()
    with networks.ethereum.local.use_provider("test") as provider:
        acct = accounts.test_accounts
        deployer, owner, meter = acct[0], acct[1], acct[2]
        buyers = list(acct[3 : 3 + SAMPLES])

        genesis = [(b.address, BUYER_BALANCE) for b in buyers]
        genesis.append((deployer.address, TOTAL_SUPPLY - sum(x for _, x in genesis)))
        token = deployer.deploy(project.SaharaToken, [a for a, _ in genesis], [x for _, x in genesis])
        registry = deployer.deploy(project.AssetRegistry, deployer, LINEAGE_CAP_BPS)
        receipts = project.Receipt.at(registry.receipts())
        vault = deployer.deploy(project.RevenueVault, token, deployer, deployer, deployer, DAY)
        manager = deployer.deploy(project.LicenseManager, registry, token, vault, deployer)
        manager.grantRole(manager.METER_ROLE(), meter, sender=deployer)
        vault.grantRole(vault.REVENUE_SOURCE_ROLE(), manager, sender=deployer)
        deploy_gas = {
            name: int(provider.get_receipt(c.txn_hash).gas_used)
            for name, c in (("AssetRegistry (+ Receipt)", registry), ("LicenseManager", manager))
        }

        def register(contributors, lineage, label, uri=URI):
            return registry.register(MODEL, content(label), uri, contributors, lineage, sender=owner)

        # --- registration ------------------------------------------------------------------------
        base = registry.register(
            DATASET, content("base"), URI, [(owner.address, 10_000, CREATOR)], [], sender=owner
        )
        base_id = base.events.filter(registry.AssetRegistered)[0].assetId
        shares = (5_000, 3_000, 2_000)
        roles = (CREATOR, LABELER, TRAINER)
        for i in range(SAMPLES):
            people = [fresh_address(f"contributor-{i}-{k}") for k in range(3)]
            S.add(
                "register/new",
                register(
                    list(zip(people, shares, roles, strict=True)), [(base_id, TRAINED_ON, 1_000)], f"n{i}"
                ),
            )
        returning = [fresh_address(f"contributor-0-{k}") for k in range(3)]  # hold receipts already
        for i in range(SAMPLES):
            S.add(
                "register/returning",
                register(
                    list(zip(returning, shares, roles, strict=True)), [(base_id, TRAINED_ON, 1_000)], f"r{i}"
                ),
            )
            S.add(
                "register/returning/short-uri",
                register(
                    list(zip(returning, shares, roles, strict=True)),
                    [(base_id, TRAINED_ON, 1_000)],
                    f"s{i}",
                    uri="ar://model",
                ),
            )
        models = [
            registry.register(
                MODEL, content(f"m{i}"), "", [(owner.address, 10_000, CREATOR)], [], sender=owner
            )
            .events.filter(registry.AssetRegistered)[0]
            .assetId
            for i in range(SAMPLES)
        ]
        first_models = [base_id + 1 + i for i in range(SAMPLES)]  # each derives from `base`
        for model, upstream in zip(models, first_models, strict=True):
            # upstream has one edge (to `base`): the acyclicity walk examines 1 edge
            S.add("addLineage", registry.addLineage(model, upstream, USES, 500, sender=owner))

        # The worst acyclicity check: 32 assets each deriving from all earlier ones (496 edges), `top`
        # deriving from the last 16: adding an edge to `top` examines 16 + 496 = 512 edges.
        dense = []
        for i in range(32):
            receipt = register([(owner.address, 10_000, CREATOR)], [(j, USES, 0) for j in dense], f"d{i}", "")
            dense.append(receipt.events.filter(registry.AssetRegistered)[0].assetId)
        receipt = register([(owner.address, 10_000, CREATOR)], [(j, USES, 0) for j in dense[-16:]], "top", "")
        top = receipt.events.filter(registry.AssetRegistered)[0].assetId
        S.add("addLineage/max-walk", registry.addLineage(models[0], top, USES, 0, sender=owner))

        S.add("transferAssetOwnership", registry.transferAssetOwnership(models[1], meter, sender=owner))

        # --- offers ------------------------------------------------------------------------------
        asset_id = first_models[0]
        offers = {}
        for name, kind, duration, quota, transferable in (
            ("duration", DURATION, 30 * DAY, 0, False),
            ("perpetual", PERPETUAL, 0, 0, False),
            ("api", API, 0, 1_000_000, True),
        ):
            receipt = manager.publishOffer(asset_id, kind, duration, quota, PRICE, transferable, sender=owner)
            S.add("publishOffer", receipt)
            offers[name] = receipt.events.filter(manager.OfferPublished)[0].offerId

        # The vault's first SAHARA and first revenue (zero-to-non-zero writes of its token balance and
        # of totalDeposited) are not what a purchase costs later.
        token.approve(vault, 1, sender=deployer)
        vault.deposit(asset_id, 1, sender=deployer)

        def permit(buyer, value):
            deadline = chain.pending_timestamp + 3600
            signed = Account.from_key(buyer.private_key).sign_message(
                encode_typed_data(
                    {
                        "name": "Sahara",
                        "version": "1",
                        "chainId": chain.chain_id,
                        "verifyingContract": token.address,
                    },
                    PERMIT_TYPES,
                    {
                        "owner": buyer.address,
                        "spender": manager.address,
                        "value": value,
                        "nonce": token.nonces(buyer),
                        "deadline": deadline,
                    },
                )
            )
            return deadline, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")

        # --- buying ------------------------------------------------------------------------------
        for b in buyers:  # each buyer's first license of the asset
            S.add(
                "buyWithPermit/first", manager.buyWithPermit(offers["duration"], *permit(b, PRICE), sender=b)
            )
        for b in buyers:  # a second license of the same asset
            S.add(
                "buyWithPermit/second",
                manager.buyWithPermit(offers["perpetual"], *permit(b, PRICE), sender=b),
            )
        for b in buyers:
            S.add("approve", token.approve(manager, PRICE, sender=b))
            S.add("buy", manager.buy(offers["duration"], sender=b))

        # --- the same purchase from a LicenseManager without recordRevenue ----------------------
        # Each buyer's third license of the asset, after approving the price, as in the "buy" row; its
        # fees go to an address that holds SAHARA already, as the vault above does.
        no_record = no_record_manager()
        if no_record is not None:
            sink = fresh_address("no-record-vault")
            token.transfer(sink, 1, sender=deployer)
            bare = deployer.deploy(no_record, registry, token, sink, deployer)
            receipt = bare.publishOffer(asset_id, DURATION, 30 * DAY, 0, PRICE, False, sender=owner)
            bare_offer = receipt.events.filter(bare.OfferPublished)[0].offerId
            for b in buyers:
                token.approve(bare, 3 * PRICE, sender=b)
                bare.buy(bare_offer, sender=b)
                bare.buy(bare_offer, sender=b)
                S.add("no-record/buy", bare.buy(bare_offer, sender=b))  # allowance PRICE to 0, as above

        # --- API metering ------------------------------------------------------------------------
        api_buyer = buyers[0]
        token.approve(manager, PRICE * (BATCH + SAMPLES), sender=api_buyer)
        singles = []
        for _ in range(SAMPLES):
            receipt = manager.buy(offers["api"], sender=api_buyer)
            singles.append(receipt.events.filter(manager.LicensePurchased)[0].licenseId)
        for license_id in singles:
            S.add("consume/first", manager.consume(license_id, 10, sender=meter))
        for license_id in singles:
            S.add("consume/later", manager.consume(license_id, 10, sender=meter))
        batch = []
        for _ in range(BATCH):
            receipt = manager.buy(offers["api"], sender=api_buyer)
            batch.append(receipt.events.filter(manager.LicensePurchased)[0].licenseId)
        S.add("consumeMany/first", manager.consumeMany(batch, [10] * BATCH, sender=meter), per=BATCH)
        S.add("consumeMany/later", manager.consumeMany(batch, [10] * BATCH, sender=meter), per=BATCH)

        # --- transfer ----------------------------------------------------------------------------
        for i, license_id in enumerate(singles):
            S.add(
                "transferFrom",
                manager.transferFrom(api_buyer, buyers[1 + i % (SAMPLES - 1)], license_id, sender=api_buyer),
            )

        held = len(manager.licensesOf(asset_id, api_buyer))
        sizes = {
            name: len(provider.get_code(address))
            for name, address in (
                ("AssetRegistry", registry.address),
                ("Receipt", receipts.address),
                ("LicenseManager", manager.address),
            )
        }
        initcode = {
            name: len(container.contract_type.deployment_bytecode.to_bytes())
            for name, container in (
                ("AssetRegistry", project.AssetRegistry),
                ("LicenseManager", project.LicenseManager),
            )
        }

    report(deploy_gas, sizes, initcode, held, time.monotonic() - started)
    return 0


ROWS = [
    ("Registry", None, ""),
    ("register asset (3 contributors, 1 lineage edge)", "register/new", "new contributors, 66-char URI"),
    ("  same, contributors holding receipts already", "register/returning", "Receipt balances non-zero"),
    ("  same, 10-char URI", "register/returning/short-uri", "URI fits one word"),
    ("addLineage (upstream has 1 edge)", "addLineage", "walk examines 1 edge"),
    ("addLineage, worst acyclicity walk", "addLineage/max-walk", "512 edges examined (the bound)"),
    ("transferAssetOwnership", "transferAssetOwnership", ""),
    ("Licenses", None, ""),
    ("publishOffer", "publishOffer", "DURATION, PERPETUAL, API"),
    ("buy license (with permit)", "buyWithPermit/first", "buyer's first license of the asset"),
    ("  second license of the same asset", "buyWithPermit/second", "index slot non-zero"),
    ("buy license (approve then buy): approve", "approve", ""),
    ("  buy", "buy", "buyer's third license of the asset"),
    ("  same, LicenseManager without recordRevenue", "no-record/buy", "compiled in memory"),
    ("  approve + buy", None, "sum"),
    ("transferFrom (transferable API license)", "transferFrom", "moves the (asset, holder) index"),
    ("API metering", None, ""),
    ("consume API quota (single), first use", "consume/first", "`used` zero to non-zero"),
    ("  later use", "consume/later", ""),
    (f"consumeMany, per license in a batch of {BATCH}, first use", "consumeMany/first", "total / 50"),
    ("  later use", "consumeMany/later", "total / 50"),
]
WIDTHS = (50, 9, 17, 3, 10)


def row(cells) -> str:
    """operation (left-aligned), gas avg, min-max, n, floor (right-aligned), then the notes."""
    *columns, notes = cells
    text = "  ".join(
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(columns, WIDTHS, strict=True))
    )
    return f"{text}  {notes}".rstrip()


def report(deploy_gas: dict, sizes: dict, initcode: dict, held: int, seconds: float) -> None:
    print(
        "SAHARA AI-asset economy gas: Ape in-process test chain (py-evm, Prague rules, EIP-7623 calldata floor); "
        "solc 0.8.28, optimizer 200 runs, OpenZeppelin Contracts 5.7.0.\n"
        "Gas = receipt.gas_used (21,000 base and calldata included). No reference figures exist for these "
        "contracts.\n"
    )
    header = row(("operation", "gas avg", "min-max", "n", "7623 floor", "notes"))
    print(header)
    print("-" * (len(header) + 30))
    for label, op, note in ROWS:
        if op is None and note != "sum":
            print(label)
            continue
        if note == "sum":
            total = statistics.mean(S.gas["approve"]) + statistics.mean(S.gas["buy"])
            print(row((label, fmt(total), "", "", "", "two transactions")))
            continue
        gas = S.gas.get(op)
        if gas is None:  # a variant that could not be built
            continue
        spread = f"{fmt(min(gas))}-{fmt(max(gas))}" if round(min(gas)) != round(max(gas)) else ""
        print(row((label, fmt(statistics.mean(gas)), spread, str(len(gas)), fmt(S.floor[op]), note)))
    if "no-record/buy" in S.gas:
        added = statistics.mean(S.gas["buy"]) - statistics.mean(S.gas["no-record/buy"])
        print(
            f"\nRecording the fee in the vault (recordRevenue: a call to the vault, its REVENUE_SOURCE_ROLE "
            f"check, the totalDeposited write and RevenueDeposited) adds {fmt(added)} gas to a purchase."
        )
    print(
        "\n7623 floor = 21,000 + 10 x calldata tokens (zero byte 1, other byte 4); for batch rows, divided by "
        f"the batch size. The buyer of the metered licenses held {held} licenses of the asset at the end."
    )
    print(
        "\nBytecode (EIP-170 limit: 24,576 bytes of runtime code; EIP-3860 limit: 49,152 bytes of initcode):"
    )
    for name, size in sizes.items():
        print(f"  {name:<15}{fmt(size):>7} bytes runtime = {size / EIP170_LIMIT:.0%} of the limit")
    for name, size in initcode.items():
        print(f"  {name:<15}{fmt(size):>7} bytes initcode = {size / EIP3860_LIMIT:.0%} of the limit")
    print("Deployment gas: " + ", ".join(f"{k} {fmt(v)}" for k, v in deploy_gas.items()))
    print(f"\n({seconds:.1f}s)")


if __name__ == "__main__":
    sys.exit(main())
