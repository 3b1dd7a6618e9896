"""LicenseManager: license offers by asset owners, purchases in SAHARA (approve or ERC-2612 permit) paid
into the revenue vault and recorded there as revenue (a real RevenueVault that grants the manager
REVENUE_SOURCE_ROLE), duration / perpetual / API licenses, the (asset, holder) index behind
isLicensed, transfer rules, and API quota metering by METER_ROLE.

Errors in the ABI that no call reaches, so no test triggers them:
- ERC721InvalidSender: `_mint` raises it for an id that exists; license ids only count up.
- SafeERC20FailedOperation: SAHARA's transferFrom returns true or reverts with its own error.
"""

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from sahara_dao.token.permit import PERMIT_TYPES

DURATION, PERPETUAL, API = 0, 1, 2
DATASET, MODEL = 0, 1
CREATOR = 0
TRAINED_ON = 0
E = 10**18
DAY = 24 * 60 * 60
PRICE = 250 * E
ZERO_ADDRESS = "0x" + "00" * 20


# --------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _session_fixtures_first(token, reverts):
    """Sets up the session fixtures before this module's: Ape redeploys everything when a session
    fixture first appears after module fixtures hold state."""


@pytest.fixture(scope="module")
def admin(accounts):
    """The DAO's stand-in: holds DEFAULT_ADMIN_ROLE (the timelock in production)."""
    return accounts[0]


@pytest.fixture(scope="module")
def owner(accounts):
    """Owns the licensed asset and publishes offers."""
    return accounts[5]


@pytest.fixture(scope="module")
def buyer(accounts):
    """Holds 300,000,000 SAHARA from the genesis allocation (conftest's ``holder``)."""
    return accounts[3]


@pytest.fixture(scope="module")
def second_buyer(accounts):
    """Holds 500,000,000 SAHARA from the genesis allocation (conftest's ``voter``)."""
    return accounts[2]


@pytest.fixture(scope="module")
def outsider(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def meter(accounts):
    return accounts[9]


@pytest.fixture(scope="module")
def registry(project, admin):
    return project.AssetRegistry.deploy(admin, 3_000, sender=admin)


@pytest.fixture(scope="module")
def deploy_vault(project, token, admin):
    """``deploy_vault(source=None)`` -> a RevenueVault administered by ``admin`` (no settler or
    guardian: these tests only pay in), granting ``source`` REVENUE_SOURCE_ROLE if given."""

    def _deploy(source=None):
        vault = project.RevenueVault.deploy(token, admin, ZERO_ADDRESS, ZERO_ADDRESS, DAY, sender=admin)
        if source is not None:
            vault.grantRole(vault.REVENUE_SOURCE_ROLE(), source, sender=admin)
        return vault

    return _deploy


@pytest.fixture(scope="module")
def vault(deploy_vault):
    """The revenue vault license fees go to; the manager is granted REVENUE_SOURCE_ROLE below."""
    return deploy_vault()


@pytest.fixture(scope="module")
def manager(project, token, registry, vault, admin, meter):
    manager = project.LicenseManager.deploy(registry, token, vault, admin, sender=admin)
    manager.grantRole(manager.METER_ROLE(), meter, sender=admin)
    vault.grantRole(vault.REVENUE_SOURCE_ROLE(), manager, sender=admin)
    return manager


@pytest.fixture(scope="module")
def asset(registry, owner, manager):
    """Asset 1, a model owned by ``owner``."""
    registry.register(MODEL, keccak(text="model"), "", [(owner.address, 10_000, CREATOR)], [], sender=owner)
    return 1


@pytest.fixture(scope="module")
def publish(manager, owner, asset):
    """``publish(kind, duration=0, quota=0, price=PRICE, transferable=False)`` -> offer id."""

    def _publish(kind, duration=0, quota=0, price=PRICE, transferable=False, asset_id=None, sender=None):
        receipt = manager.publishOffer(
            asset if asset_id is None else asset_id,
            kind,
            duration,
            quota,
            price,
            transferable,
            sender=sender or owner,
        )
        [event] = receipt.events.filter(manager.OfferPublished)
        return event.offerId

    return _publish


@pytest.fixture(scope="module")
def buy(manager, token):
    """``buy(offer_id, account)`` approves the price then buys; returns (license id, receipt)."""

    def _buy(offer_id, account):
        token.approve(manager, manager.offer(offer_id).price, sender=account)
        receipt = manager.buy(offer_id, sender=account)
        [event] = receipt.events.filter(manager.LicensePurchased)
        return event.licenseId, receipt

    return _buy


@pytest.fixture(scope="module")
def permit_signature(chain, token, manager):
    """Signs an ERC-2612 permit of ``owner`` for the manager; returns (v, r, s)."""

    def _sign(owner, value, deadline, nonce=None, signer=None):
        domain = {"name": "Sahara", "version": "1", "chainId": chain.chain_id, "verifyingContract": token.address}
        message = {
            "owner": owner.address,
            "spender": manager.address,
            "value": value,
            "nonce": token.nonces(owner) if nonce is None else nonce,
            "deadline": deadline,
        }
        signed = Account.from_key((signer or owner).private_key).sign_message(
            encode_typed_data(domain, PERMIT_TYPES, message)
        )
        return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")

    return _sign


@pytest.fixture
def perpetual(publish):
    return publish(PERPETUAL)


@pytest.fixture
def monthly(publish):
    return publish(DURATION, duration=30 * DAY)


@pytest.fixture
def api_plan(publish):
    """1,000 calls, no expiry, transferable."""
    return publish(API, quota=1_000, transferable=True)


# --------------------------------------------------------------------------------------------------
# Deployment and admin
# --------------------------------------------------------------------------------------------------


def test_deployment_wires_registry_token_vault_and_admin(chain, manager, registry, token, vault, admin):
    """The manager names its registry, token and vault, grants the admin role and announces the vault."""
    assert manager.name() == "Sahara License"
    assert manager.symbol() == "SLIC"
    assert manager.registry() == registry.address
    assert manager.paymentToken() == token.address
    assert manager.revenueVault() == vault.address
    assert manager.hasRole(manager.DEFAULT_ADMIN_ROLE(), admin)
    assert manager.METER_ROLE() == keccak(text="METER_ROLE")
    assert (manager.offerCount(), manager.licenseCount()) == (0, 0)
    [event] = chain.get_receipt(manager.txn_hash).events.filter(manager.RevenueVaultSet)
    assert (event.previousVault, event.newVault) == (ZERO_ADDRESS, vault.address)


def test_deployment_rejects_zero_vault(project, token, registry, admin, reverts):
    """A zero revenue vault reverts at deployment."""
    with reverts(project.LicenseManager.LicenseManagerInvalidRevenueVault, vault=ZERO_ADDRESS):
        project.LicenseManager.deploy(registry, token, ZERO_ADDRESS, admin, sender=admin)


def test_supports_erc721_and_access_control(manager):
    """supportsInterface answers for ERC-721, its metadata, AccessControl and ERC-165 only."""
    for interface_id in ("0x80ac58cd", "0x5b5e139f", "0x7965db0b", "0x01ffc9a7"):
        assert manager.supportsInterface(interface_id)
    assert not manager.supportsInterface("0xb45a3c0e")


def test_admin_sets_revenue_vault(manager, token, vault, deploy_vault, admin, buyer, perpetual, buy):
    """The admin redirects fees to a second vault that grants the manager REVENUE_SOURCE_ROLE; the next
    purchase pays and is recorded there."""
    other_vault = deploy_vault(source=manager)
    receipt = manager.setRevenueVault(other_vault, sender=admin)
    [event] = receipt.events.filter(manager.RevenueVaultSet)
    assert (event.previousVault, event.newVault) == (vault.address, other_vault.address)
    _, receipt = buy(perpetual, buyer)
    assert token.balanceOf(other_vault) == PRICE
    assert other_vault.totalDeposited() == PRICE
    assert [e.contract_address for e in receipt.events.filter(other_vault.RevenueDeposited)] == [
        other_vault.address
    ]
    assert token.balanceOf(vault) == 0
    assert vault.totalDeposited() == 0


def test_buy_reverts_when_the_vault_has_not_granted_the_revenue_source_role(
    manager, token, deploy_vault, admin, buyer, perpetual, reverts
):
    """A vault that does not count the manager's fees refuses them, and the purchase reverts whole."""
    unwired = deploy_vault()
    manager.setRevenueVault(unwired, sender=admin)
    token.approve(manager, PRICE, sender=buyer)
    with reverts(
        unwired.AccessControlUnauthorizedAccount, account=manager, neededRole=unwired.REVENUE_SOURCE_ROLE()
    ):
        manager.buy(perpetual, sender=buyer)
    assert token.balanceOf(unwired) == 0
    assert manager.licenseCount() == 0


def test_set_revenue_vault_rejects_zero(manager, admin, reverts):
    """Setting the zero address as vault reverts."""
    with reverts(manager.LicenseManagerInvalidRevenueVault, vault=ZERO_ADDRESS):
        manager.setRevenueVault(ZERO_ADDRESS, sender=admin)


def test_set_revenue_vault_is_admin_only(manager, outsider, reverts):
    """Anyone but the admin setting the vault reverts with AccessControlUnauthorizedAccount."""
    with reverts(
        manager.AccessControlUnauthorizedAccount, account=outsider, neededRole=manager.DEFAULT_ADMIN_ROLE()
    ):
        manager.setRevenueVault(outsider, sender=outsider)


# --------------------------------------------------------------------------------------------------
# Offers
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, duration, quota, transferable",
    [
        (DURATION, 30 * DAY, 0, False),
        (PERPETUAL, 0, 0, True),
        (API, 0, 5_000, True),
        (API, 7 * DAY, 10, False),
    ],
)
def test_publish_offer_stores_terms_and_emits(manager, owner, asset, kind, duration, quota, transferable):
    """The asset owner publishes an active offer of each kind with its terms."""
    receipt = manager.publishOffer(asset, kind, duration, quota, PRICE, transferable, sender=owner)
    assert manager.offerCount() == 1
    assert tuple(manager.offer(1)) == (asset, kind, transferable, True, duration, quota, PRICE)
    [event] = receipt.events.filter(manager.OfferPublished)
    assert (event.offerId, event.assetId, event.kind, event.duration, event.quota, event.price) == (
        1,
        asset,
        kind,
        duration,
        quota,
        PRICE,
    )
    assert event.transferable == transferable


@pytest.mark.parametrize(
    "kind, duration, quota",
    [
        (DURATION, 0, 0),
        (DURATION, DAY, 5),
        (PERPETUAL, DAY, 0),
        (PERPETUAL, 0, 5),
        (API, 0, 0),
        (API, DAY, 0),
    ],
)
def test_publish_offer_rejects_invalid_terms(manager, owner, asset, kind, duration, quota, reverts):
    """Terms that do not fit the kind revert with the kind, duration and quota."""
    with reverts(manager.LicenseManagerInvalidTerms, kind=kind, duration=duration, quota=quota):
        manager.publishOffer(asset, kind, duration, quota, PRICE, False, sender=owner)


def test_publish_offer_is_asset_owner_only(manager, outsider, asset, reverts):
    """Anyone but the asset's owner publishing reverts with the asset and the caller."""
    with reverts(manager.LicenseManagerNotAssetOwner, assetId=asset, account=outsider):
        manager.publishOffer(asset, PERPETUAL, 0, 0, PRICE, False, sender=outsider)


def test_publish_offer_for_unknown_asset_reverts_with_registry_error(
    manager, registry, owner, asset, reverts
):
    """An offer for an asset that does not exist bubbles up the registry's AssetRegistryUnknownAsset."""
    with reverts(registry.AssetRegistryUnknownAsset, assetId=asset + 1):
        manager.publishOffer(asset + 1, PERPETUAL, 0, 0, PRICE, False, sender=owner)


def test_publish_offer_follows_asset_ownership(manager, registry, owner, outsider, asset, publish, reverts):
    """After an ownership transfer the new owner publishes and deactivates, the previous one cannot."""
    offer_id = publish(PERPETUAL)
    registry.transferAssetOwnership(asset, outsider, sender=owner)
    with reverts(manager.LicenseManagerNotAssetOwner, assetId=asset, account=owner):
        manager.deactivateOffer(offer_id, sender=owner)
    manager.deactivateOffer(offer_id, sender=outsider)
    assert publish(DURATION, duration=DAY, sender=outsider) == offer_id + 1


def test_deactivate_offer_stops_sales_only(manager, token, owner, buyer, perpetual, buy, reverts):
    """A deactivated offer sells no more, emits, and licenses already sold stay valid."""
    license_id, _ = buy(perpetual, buyer)
    receipt = manager.deactivateOffer(perpetual, sender=owner)
    [event] = receipt.events.filter(manager.OfferDeactivated)
    assert (event.offerId, event.assetId) == (perpetual, 1)
    assert not manager.offer(perpetual).active
    token.approve(manager, PRICE, sender=buyer)
    with reverts(manager.LicenseManagerOfferInactive, offerId=perpetual):
        manager.buy(perpetual, sender=buyer)
    assert manager.isLicensed(1, buyer)
    assert manager.ownerOf(license_id) == buyer.address


def test_deactivate_offer_twice_reverts(manager, owner, perpetual, reverts):
    """Deactivating an inactive offer reverts with LicenseManagerOfferInactive."""
    manager.deactivateOffer(perpetual, sender=owner)
    with reverts(manager.LicenseManagerOfferInactive, offerId=perpetual):
        manager.deactivateOffer(perpetual, sender=owner)


def test_deactivate_unknown_offer_reverts(manager, owner, reverts):
    """Deactivating an offer that does not exist reverts with its id."""
    with reverts(manager.LicenseManagerUnknownOffer, offerId=4):
        manager.deactivateOffer(4, sender=owner)


def test_deactivate_offer_is_asset_owner_only(manager, outsider, perpetual, reverts):
    """Anyone but the asset's owner deactivating reverts with the asset and the caller."""
    with reverts(manager.LicenseManagerNotAssetOwner, assetId=1, account=outsider):
        manager.deactivateOffer(perpetual, sender=outsider)


def test_offer_view_rejects_unknown_offer(manager, reverts):
    """offer(id) reverts for an id never published."""
    with reverts(manager.LicenseManagerUnknownOffer, offerId=0):
        manager.offer(0)


# --------------------------------------------------------------------------------------------------
# Buying
# --------------------------------------------------------------------------------------------------


def test_buy_pays_vault_mints_license_and_emits(chain, manager, token, vault, buyer, monthly):
    """buy moves the price from the buyer into the vault, records it there as the asset's revenue, mints
    the license and emits LicensePurchased."""
    balance = token.balanceOf(buyer)
    token.approve(manager, PRICE, sender=buyer)
    receipt = manager.buy(monthly, sender=buyer)
    purchased_at = chain.blocks[-1].timestamp
    assert token.balanceOf(buyer) == balance - PRICE
    assert token.balanceOf(vault) == PRICE
    assert vault.totalDeposited() == PRICE
    assert token.balanceOf(manager) == 0
    assert token.allowance(buyer, manager) == 0
    assert manager.ownerOf(1) == buyer.address
    assert manager.licenseCount() == 1
    assert tuple(manager.license(1)) == (1, monthly, DURATION, False, purchased_at + 30 * DAY, 0, 0)
    [event] = receipt.events.filter(manager.LicensePurchased)
    assert (event.licenseId, event.offerId, event.assetId, event.buyer, event.amount, event.purchasedAt) == (
        1,
        monthly,
        1,
        buyer.address,
        PRICE,
        purchased_at,
    )
    [deposited] = receipt.events.filter(vault.RevenueDeposited)
    assert (deposited.source, deposited.assetId, deposited.amount, deposited.totalDeposited) == (
        manager.address,
        1,
        PRICE,
        PRICE,
    )


def test_buy_without_allowance_reverts_with_token_error(manager, token, buyer, perpetual, reverts):
    """Buying without approving the price reverts with the token's ERC20InsufficientAllowance."""
    token.approve(manager, PRICE - 1, sender=buyer)
    with reverts(token.ERC20InsufficientAllowance, spender=manager, allowance=PRICE - 1, needed=PRICE):
        manager.buy(perpetual, sender=buyer)


def test_buy_without_balance_reverts_with_token_error(manager, token, outsider, perpetual, reverts):
    """Buying without enough SAHARA reverts with the token's ERC20InsufficientBalance."""
    token.approve(manager, PRICE, sender=outsider)
    with reverts(token.ERC20InsufficientBalance, sender=outsider, balance=0, needed=PRICE):
        manager.buy(perpetual, sender=outsider)


def test_buy_unknown_offer_reverts(manager, buyer, reverts):
    """Buying from an offer that does not exist reverts with its id."""
    with reverts(manager.LicenseManagerUnknownOffer, offerId=1):
        manager.buy(1, sender=buyer)


def test_buy_free_offer(manager, token, vault, outsider, publish):
    """A zero-price offer mints a license to an account without SAHARA or allowance; it records no revenue."""
    offer_id = publish(PERPETUAL, price=0)
    receipt = manager.buy(offer_id, sender=outsider)
    assert manager.isLicensed(1, outsider)
    [event] = receipt.events.filter(manager.LicensePurchased)
    assert event.amount == 0
    assert [e.amount for e in receipt.events.filter(vault.RevenueDeposited)] == [0]
    assert vault.totalDeposited() == 0


def test_buy_with_permit_needs_no_prior_approval(
    chain, manager, token, vault, buyer, monthly, permit_signature
):
    """One buyWithPermit transaction sets the allowance through the permit and buys."""
    deadline = chain.pending_timestamp + 3600
    nonce = token.nonces(buyer)
    receipt = manager.buyWithPermit(
        monthly, deadline, *permit_signature(buyer, PRICE, deadline), sender=buyer
    )
    assert token.nonces(buyer) == nonce + 1
    assert token.balanceOf(vault) == PRICE
    assert vault.totalDeposited() == PRICE
    assert token.allowance(buyer, manager) == 0
    assert manager.ownerOf(1) == buyer.address
    [event] = receipt.events.filter(manager.LicensePurchased)
    assert (event.buyer, event.amount) == (buyer.address, PRICE)
    [deposited] = receipt.events.filter(vault.RevenueDeposited)
    assert (deposited.source, deposited.assetId, deposited.amount) == (manager.address, 1, PRICE)


def test_buy_with_permit_survives_front_run_permit(
    chain, manager, token, vault, buyer, outsider, monthly, permit_signature
):
    """When someone submits the buyer's permit first, buyWithPermit still buys with the allowance it set."""
    deadline = chain.pending_timestamp + 3600
    v, r, s = permit_signature(buyer, PRICE, deadline)
    token.permit(buyer, manager, PRICE, deadline, v, r, s, sender=outsider)  # the front-runner
    manager.buyWithPermit(monthly, deadline, v, r, s, sender=buyer)
    assert manager.ownerOf(1) == buyer.address
    assert token.balanceOf(vault) == PRICE
    assert vault.totalDeposited() == PRICE


def test_buy_with_permit_uses_existing_allowance_when_permit_fails(
    chain, manager, token, buyer, monthly, permit_signature
):
    """An expired permit is ignored when an earlier approval already covers the price."""
    token.approve(manager, PRICE, sender=buyer)
    deadline = chain.pending_timestamp - 1
    manager.buyWithPermit(monthly, deadline, *permit_signature(buyer, PRICE, deadline), sender=buyer)
    assert manager.ownerOf(1) == buyer.address


def test_buy_with_expired_permit_and_no_allowance_reverts(
    chain, manager, token, buyer, monthly, permit_signature, reverts
):
    """An expired permit without allowance reverts with the token's ERC2612ExpiredSignature."""
    deadline = chain.pending_timestamp - 1
    with reverts(token.ERC2612ExpiredSignature, deadline=deadline):
        manager.buyWithPermit(monthly, deadline, *permit_signature(buyer, PRICE, deadline), sender=buyer)


def test_buy_with_permit_signed_by_another_key_reverts(
    chain, manager, token, buyer, outsider, monthly, permit_signature, reverts
):
    """A permit signed by someone else reverts with the token's ERC2612InvalidSigner."""
    deadline = chain.pending_timestamp + 3600
    with reverts(token.ERC2612InvalidSigner, signer=outsider, owner=buyer):
        manager.buyWithPermit(
            monthly, deadline, *permit_signature(buyer, PRICE, deadline, signer=outsider), sender=buyer
        )


def test_buy_with_permit_for_a_lower_value_reverts(
    chain, manager, token, buyer, monthly, permit_signature, reverts
):
    """A permit signed for less than the price does not verify for the price: the permit's error bubbles up."""
    deadline = chain.pending_timestamp + 3600
    with reverts(token.ERC2612InvalidSigner, owner=buyer) as info:
        manager.buyWithPermit(monthly, deadline, *permit_signature(buyer, PRICE - 1, deadline), sender=buyer)
    assert info.inputs["signer"] != buyer.address


def test_buy_with_permit_rejects_inactive_offer(
    chain, manager, owner, buyer, monthly, permit_signature, reverts
):
    """buyWithPermit checks the offer before the permit."""
    manager.deactivateOffer(monthly, sender=owner)
    deadline = chain.pending_timestamp + 3600
    with reverts(manager.LicenseManagerOfferInactive, offerId=monthly):
        manager.buyWithPermit(monthly, deadline, *permit_signature(buyer, PRICE, deadline), sender=buyer)


# --------------------------------------------------------------------------------------------------
# Validity: isLicensed
# --------------------------------------------------------------------------------------------------


def test_duration_license_expires(chain, manager, buyer, monthly, buy):
    """A duration license is valid until, and not at, purchase time plus its duration."""
    license_id, _ = buy(monthly, buyer)
    expires_at = manager.license(license_id).expiresAt
    chain.mine(timestamp=expires_at - 1)
    assert manager.isLicensed(1, buyer)
    chain.mine(timestamp=expires_at)
    assert not manager.isLicensed(1, buyer)


def test_perpetual_license_never_expires(chain, manager, buyer, perpetual, buy):
    """A perpetual license is valid years later."""
    buy(perpetual, buyer)
    chain.mine(deltatime=20 * 365 * DAY)
    assert manager.isLicensed(1, buyer)
    assert manager.license(1).expiresAt == 0


def test_is_licensed_is_per_asset_and_account(registry, manager, owner, buyer, second_buyer, perpetual, buy):
    """A license answers for its asset and its holder only."""
    registry.register(DATASET, keccak(text="other"), "", [(owner.address, 10_000, CREATOR)], [], sender=owner)
    buy(perpetual, buyer)
    assert manager.isLicensed(1, buyer)
    assert not manager.isLicensed(2, buyer)
    assert not manager.isLicensed(1, second_buyer)


def test_is_licensed_finds_a_valid_license_among_expired_ones(chain, manager, buyer, monthly, perpetual, buy):
    """An expired license does not hide a valid one held for the same asset."""
    buy(monthly, buyer)
    chain.mine(deltatime=31 * DAY)
    assert not manager.isLicensed(1, buyer)
    buy(perpetual, buyer)
    assert manager.isLicensed(1, buyer)
    assert list(manager.licensesOf(1, buyer)) == [1, 2]


def test_api_license_valid_while_quota_left(manager, buyer, meter, api_plan, buy):
    """An API license is valid until its quota is used up."""
    license_id, _ = buy(api_plan, buyer)
    manager.consume(license_id, 999, sender=meter)
    assert manager.isLicensed(1, buyer)
    manager.consume(license_id, 1, sender=meter)
    assert not manager.isLicensed(1, buyer)


def test_api_license_with_duration_expires(chain, manager, buyer, meter, publish, buy, reverts):
    """An API license with a duration stops being valid and consumable at its expiry, quota left or not."""
    license_id, _ = buy(publish(API, duration=7 * DAY, quota=100), buyer)
    expires_at = manager.license(license_id).expiresAt
    chain.mine(timestamp=expires_at)
    assert not manager.isLicensed(1, buyer)
    with reverts(manager.LicenseManagerLicenseExpired, licenseId=license_id, expiresAt=expires_at):
        manager.consume(license_id, 1, sender=meter)


def test_license_view_rejects_unknown_license(manager, reverts):
    """license(id) reverts for an id never minted."""
    with reverts(manager.LicenseManagerUnknownLicense, licenseId=1):
        manager.license(1)


# --------------------------------------------------------------------------------------------------
# Transfers and burns
# --------------------------------------------------------------------------------------------------


def test_transferable_license_moves_the_right(manager, buyer, second_buyer, api_plan, buy):
    """Transferring a transferable license moves isLicensed and the index from seller to receiver."""
    license_id, _ = buy(api_plan, buyer)
    manager.transferFrom(buyer, second_buyer, license_id, sender=buyer)
    assert manager.ownerOf(license_id) == second_buyer.address
    assert not manager.isLicensed(1, buyer)
    assert manager.isLicensed(1, second_buyer)
    assert list(manager.licensesOf(1, buyer)) == []
    assert list(manager.licensesOf(1, second_buyer)) == [license_id]


def test_transfer_keeps_the_index_of_remaining_licenses(manager, buyer, second_buyer, api_plan, buy):
    """Moving one of several licenses leaves the others indexed under their holder."""
    ids = [buy(api_plan, buyer)[0] for _ in range(3)]
    manager.safeTransferFrom(buyer, second_buyer, ids[0], sender=buyer)
    assert sorted(manager.licensesOf(1, buyer)) == ids[1:]
    manager.transferFrom(buyer, second_buyer, ids[2], sender=buyer)
    assert list(manager.licensesOf(1, buyer)) == [ids[1]]
    assert sorted(manager.licensesOf(1, second_buyer)) == [ids[0], ids[2]]


def test_transfer_by_approved_operator(manager, buyer, second_buyer, outsider, api_plan, buy):
    """An approved operator moves a transferable license like its holder."""
    license_id, _ = buy(api_plan, buyer)
    manager.approve(outsider, license_id, sender=buyer)
    manager.transferFrom(buyer, second_buyer, license_id, sender=outsider)
    assert manager.isLicensed(1, second_buyer)


def test_non_transferable_license_cannot_move(manager, buyer, second_buyer, monthly, buy, reverts):
    """transferFrom and safeTransferFrom of a non-transferable license revert with its id."""
    license_id, _ = buy(monthly, buyer)
    with reverts(manager.LicenseManagerNonTransferable, licenseId=license_id):
        manager.transferFrom(buyer, second_buyer, license_id, sender=buyer)
    with reverts(manager.LicenseManagerNonTransferable, licenseId=license_id):
        manager.safeTransferFrom(buyer, second_buyer, license_id, sender=buyer)
    assert manager.isLicensed(1, buyer)


def test_transfer_by_stranger_reverts_with_erc721_error(manager, buyer, outsider, api_plan, buy, reverts):
    """Without approval a transfer reverts with ERC721InsufficientApproval, whatever the license."""
    license_id, _ = buy(api_plan, buyer)
    with reverts(manager.ERC721InsufficientApproval, operator=outsider, tokenId=license_id):
        manager.transferFrom(buyer, outsider, license_id, sender=outsider)


def test_holder_burns_non_transferable_license(manager, buyer, monthly, buy, reverts):
    """Burning is allowed for any license: it leaves the index and its data is gone."""
    license_id, _ = buy(monthly, buyer)
    manager.burn(license_id, sender=buyer)
    assert not manager.isLicensed(1, buyer)
    assert list(manager.licensesOf(1, buyer)) == []
    assert manager.balanceOf(buyer) == 0
    with reverts(manager.LicenseManagerUnknownLicense, licenseId=license_id):
        manager.license(license_id)
    with reverts(manager.ERC721NonexistentToken, tokenId=license_id):
        manager.ownerOf(license_id)


def test_burn_by_stranger_reverts(manager, buyer, outsider, monthly, buy, reverts):
    """Only the holder or an approved operator burns a license."""
    license_id, _ = buy(monthly, buyer)
    with reverts(manager.ERC721InsufficientApproval, operator=outsider, tokenId=license_id):
        manager.burn(license_id, sender=outsider)


# --------------------------------------------------------------------------------------------------
# Metering
# --------------------------------------------------------------------------------------------------


def test_consume_records_usage_and_emits(manager, buyer, meter, api_plan, buy):
    """The meter consumes calls; used grows and QuotaConsumed reports calls, used and quota."""
    license_id, _ = buy(api_plan, buyer)
    manager.consume(license_id, 300, sender=meter)
    receipt = manager.consume(license_id, 200, sender=meter)
    assert manager.license(license_id).used == 500
    [event] = receipt.events.filter(manager.QuotaConsumed)
    assert (event.licenseId, event.calls, event.used, event.quota) == (license_id, 200, 500, 1_000)


def test_consume_is_meter_only(manager, buyer, api_plan, buy, reverts):
    """Even the holder cannot consume: only METER_ROLE."""
    license_id, _ = buy(api_plan, buyer)
    with reverts(manager.AccessControlUnauthorizedAccount, account=buyer, neededRole=manager.METER_ROLE()):
        manager.consume(license_id, 1, sender=buyer)
    with reverts(manager.AccessControlUnauthorizedAccount, account=buyer, neededRole=manager.METER_ROLE()):
        manager.consumeMany([license_id], [1], sender=buyer)


def test_consume_beyond_quota_reverts(manager, buyer, meter, api_plan, buy, reverts):
    """Consuming past the quota reverts with the calls, the usage so far and the quota."""
    license_id, _ = buy(api_plan, buyer)
    manager.consume(license_id, 900, sender=meter)
    with reverts(manager.LicenseManagerQuotaExceeded, licenseId=license_id, calls=101, used=900, quota=1_000):
        manager.consume(license_id, 101, sender=meter)
    manager.consume(license_id, 100, sender=meter)
    with reverts(manager.LicenseManagerQuotaExceeded, licenseId=license_id, calls=1, used=1_000, quota=1_000):
        manager.consume(license_id, 1, sender=meter)


def test_consume_rejects_max_calls_without_overflow(manager, buyer, meter, api_plan, buy, reverts):
    """The largest call count is a quota error, not an overflow."""
    license_id, _ = buy(api_plan, buyer)
    manager.consume(license_id, 1, sender=meter)
    with reverts(manager.LicenseManagerQuotaExceeded, calls=2**64 - 1, used=1, quota=1_000):
        manager.consume(license_id, 2**64 - 1, sender=meter)


@pytest.mark.parametrize("fixture, kind", [("monthly", DURATION), ("perpetual", PERPETUAL)])
def test_consume_rejects_non_api_license(request, manager, buyer, meter, buy, fixture, kind, reverts):
    """Duration and perpetual licenses have no quota to consume."""
    license_id, _ = buy(request.getfixturevalue(fixture), buyer)
    with reverts(manager.LicenseManagerNotApiLicense, licenseId=license_id, kind=kind):
        manager.consume(license_id, 1, sender=meter)


def test_consume_rejects_unknown_license(manager, meter, reverts):
    """Consuming on an id never minted reverts with the id."""
    with reverts(manager.LicenseManagerUnknownLicense, licenseId=5):
        manager.consume(5, 1, sender=meter)


def test_consume_rejects_burned_license(manager, buyer, meter, api_plan, buy, reverts):
    """A burned API license cannot be consumed."""
    license_id, _ = buy(api_plan, buyer)
    manager.burn(license_id, sender=buyer)
    with reverts(manager.LicenseManagerUnknownLicense, licenseId=license_id):
        manager.consume(license_id, 1, sender=meter)


def test_consume_rejects_zero_calls(manager, buyer, meter, api_plan, buy, reverts):
    """A meter consuming zero calls reverts with the license id."""
    license_id, _ = buy(api_plan, buyer)
    with reverts(manager.LicenseManagerZeroCalls, licenseId=license_id):
        manager.consume(license_id, 0, sender=meter)


def test_consume_follows_a_transferred_license(manager, buyer, second_buyer, meter, api_plan, buy):
    """Quota is per license: usage carries over when the license changes hands."""
    license_id, _ = buy(api_plan, buyer)
    manager.consume(license_id, 1_000, sender=meter)
    manager.transferFrom(buyer, second_buyer, license_id, sender=buyer)
    assert not manager.isLicensed(1, second_buyer)


def test_consume_many_consumes_each_license(manager, buyer, second_buyer, meter, api_plan, buy):
    """A batch records each license's calls and emits one QuotaConsumed per entry."""
    first, _ = buy(api_plan, buyer)
    second, _ = buy(api_plan, second_buyer)
    receipt = manager.consumeMany([first, second, first], [10, 20, 30], sender=meter)
    assert manager.license(first).used == 40
    assert manager.license(second).used == 20
    events = receipt.events.filter(manager.QuotaConsumed)
    assert [(e.licenseId, e.calls, e.used) for e in events] == [
        (first, 10, 10),
        (second, 20, 20),
        (first, 30, 40),
    ]


def test_consume_many_is_all_or_nothing(manager, buyer, meter, api_plan, monthly, buy, reverts):
    """One bad entry reverts the whole batch with that entry's error."""
    api_id, _ = buy(api_plan, buyer)
    duration_id, _ = buy(monthly, buyer)
    with reverts(manager.LicenseManagerNotApiLicense, licenseId=duration_id, kind=DURATION):
        manager.consumeMany([api_id, duration_id], [5, 5], sender=meter)
    assert manager.license(api_id).used == 0


def test_consume_many_rejects_length_mismatch(manager, meter, reverts):
    """A batch whose arrays differ in length reverts with both lengths."""
    with reverts(manager.LicenseManagerLengthMismatch, licenseIds=2, calls=1):
        manager.consumeMany([1, 2], [1], sender=meter)


def test_consume_many_accepts_empty_batch(manager, meter):
    """An empty batch does nothing and emits nothing."""
    receipt = manager.consumeMany([], [], sender=meter)
    assert list(receipt.events.filter(manager.QuotaConsumed)) == []


# --------------------------------------------------------------------------------------------------
# Inherited ERC-721 and AccessControl errors
# --------------------------------------------------------------------------------------------------


def test_transfer_to_zero_address_reverts(manager, buyer, api_plan, buy, reverts):
    """A transfer to the zero address reverts with ERC721InvalidReceiver (burn is the way out)."""
    license_id, _ = buy(api_plan, buyer)
    with reverts(manager.ERC721InvalidReceiver, receiver=ZERO_ADDRESS):
        manager.transferFrom(buyer, ZERO_ADDRESS, license_id, sender=buyer)


def test_transfer_from_wrong_owner_reverts(manager, buyer, second_buyer, api_plan, buy, reverts):
    """transferFrom naming someone else as owner reverts with ERC721IncorrectOwner."""
    license_id, _ = buy(api_plan, buyer)
    manager.setApprovalForAll(second_buyer, True, sender=buyer)
    with reverts(manager.ERC721IncorrectOwner, sender=second_buyer, tokenId=license_id, owner=buyer):
        manager.transferFrom(second_buyer, buyer, license_id, sender=second_buyer)


def test_approve_by_stranger_reverts(manager, buyer, outsider, api_plan, buy, reverts):
    """Approving someone else's license reverts with ERC721InvalidApprover."""
    license_id, _ = buy(api_plan, buyer)
    with reverts(manager.ERC721InvalidApprover, approver=outsider):
        manager.approve(outsider, license_id, sender=outsider)


def test_approve_zero_operator_reverts(manager, buyer, reverts):
    """setApprovalForAll for the zero address reverts with ERC721InvalidOperator."""
    with reverts(manager.ERC721InvalidOperator, operator=ZERO_ADDRESS):
        manager.setApprovalForAll(ZERO_ADDRESS, True, sender=buyer)


def test_balance_of_zero_address_reverts(manager, reverts):
    """balanceOf(address(0)) reverts with ERC721InvalidOwner."""
    with reverts(manager.ERC721InvalidOwner, owner=ZERO_ADDRESS):
        manager.balanceOf(ZERO_ADDRESS)


def test_renounce_role_for_another_account_reverts(manager, admin, meter, reverts):
    """renounceRole naming an account other than the caller reverts with AccessControlBadConfirmation."""
    with reverts(manager.AccessControlBadConfirmation):
        manager.renounceRole(manager.METER_ROLE(), meter, sender=admin)
    assert manager.hasRole(manager.METER_ROLE(), meter)
