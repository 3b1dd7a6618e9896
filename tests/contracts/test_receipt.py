"""Receipt: soulbound ERC-721 contribution receipts (ERC-5192), minted only by the asset registry.

Most tests use the receipt contract the registry deploys; a few deploy a standalone Receipt whose
"registry" is a plain account, to reach the guards the registry never trips itself.

Errors in the ABI that no call reaches, so no test triggers them:
- ERC721InvalidSender: `_mint` raises it for an id that already has an owner, but the soulbound
  `_update` guard reverts first with ReceiptSoulbound (see test_mint_of_an_existing_id_is_soulbound).
- ERC721InvalidApprover, ERC721InvalidOperator, ERC721InsufficientApproval, ERC721IncorrectOwner:
  approvals and transfers revert with ReceiptSoulbound / ReceiptSoulboundOperator before OpenZeppelin's
  checks that raise them.
"""

import pytest
from eth_utils import keccak

CREATOR, CURATOR, LABELER, TRAINER, VALIDATOR = 0, 1, 2, 3, 4
MODEL = 1
ZERO_ADDRESS = "0x" + "00" * 20
ERC5192_ID = "0xb45a3c0e"
ERC721_ID = "0x80ac58cd"
ERC721_METADATA_ID = "0x5b5e139f"
ERC165_ID = "0x01ffc9a7"


@pytest.fixture(scope="module")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def owner(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def labeler(accounts):
    return accounts[6]


@pytest.fixture(scope="module")
def outsider(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def minter(accounts):
    """The account a standalone Receipt trusts as its registry."""
    return accounts[9]


@pytest.fixture(scope="module")
def registry(project, admin):
    return project.AssetRegistry.deploy(admin, 3_000, sender=admin)


@pytest.fixture(scope="module")
def receipts(project, registry):
    return project.Receipt.at(registry.receipts())


@pytest.fixture(scope="module")
def standalone(project, admin, minter):
    return project.Receipt.deploy(minter, sender=admin)


@pytest.fixture
def registration(registry, owner, labeler):
    """Asset 1, contributed by ``owner`` (receipt 1, 70%, creator) and ``labeler`` (receipt 2, 30%)."""
    receipt = registry.register(
        MODEL,
        keccak(text="model"),
        "ipfs://model",
        [(owner.address, 7_000, CREATOR), (labeler.address, 3_000, LABELER)],
        [],
        sender=owner,
    )
    return receipt


def test_metadata_and_registry(receipts, registry):
    """The receipt contract is named, has a symbol and names its registry."""
    assert receipts.name() == "Sahara Receipt"
    assert receipts.symbol() == "SRCPT"
    assert receipts.registry() == registry.address


def test_supports_erc5192_and_erc721(receipts):
    """supportsInterface answers true for ERC-5192, ERC-721, its metadata and ERC-165, and false otherwise."""
    for interface_id in (ERC5192_ID, ERC721_ID, ERC721_METADATA_ID, ERC165_ID):
        assert receipts.supportsInterface(interface_id)
    assert not receipts.supportsInterface("0xffffffff")
    assert not receipts.supportsInterface("0x7965db0b")  # AccessControl: receipts have no roles


def test_registration_mints_locked_receipts(receipts, registration, owner, labeler):
    """Each receipt belongs to its contributor, is locked and announced with Transfer and Locked."""
    assert receipts.ownerOf(1) == owner.address
    assert receipts.ownerOf(2) == labeler.address
    assert receipts.balanceOf(owner) == 1
    assert receipts.locked(1)
    assert receipts.locked(2)
    transfers = registration.events.filter(receipts.Transfer)
    assert [(t.event_arguments["from"], t.to, t.tokenId) for t in transfers] == [
        (ZERO_ADDRESS, owner.address, 1),
        (ZERO_ADDRESS, labeler.address, 2),
    ]
    assert [e.tokenId for e in registration.events.filter(receipts.Locked)] == [1, 2]


def test_receipt_records_asset_share_and_role(receipts, registration, owner, labeler):
    """receipt(tokenId) returns the asset, share and role; receiptOf finds it by asset and contributor."""
    assert tuple(receipts.receipt(1)) == (1, 7_000, CREATOR)
    assert tuple(receipts.receipt(2)) == (1, 3_000, LABELER)
    assert receipts.receiptOf(1, owner) == 1
    assert receipts.receiptOf(1, labeler) == 2


def test_receipt_of_is_zero_without_receipt(receipts, registration, owner, outsider):
    """receiptOf answers 0 for a non-contributor and for another asset."""
    assert receipts.receiptOf(1, outsider) == 0
    assert receipts.receiptOf(2, owner) == 0


def test_token_uri_is_empty(receipts, registration):
    """Receipts carry no token URI: the asset's metadata lives in the registry."""
    assert receipts.tokenURI(1) == ""


@pytest.mark.parametrize("view", ["locked", "receipt", "ownerOf", "tokenURI"])
def test_views_reject_nonexistent_receipt(receipts, registration, view, reverts):
    """Per-token views revert with ERC721NonexistentToken for an id never minted."""
    with reverts(receipts.ERC721NonexistentToken, tokenId=3):
        getattr(receipts, view)(3)


def test_balance_of_zero_address_reverts(receipts, reverts):
    """balanceOf(address(0)) reverts with ERC721InvalidOwner."""
    with reverts(receipts.ERC721InvalidOwner, owner=ZERO_ADDRESS):
        receipts.balanceOf(ZERO_ADDRESS)


def test_transfer_from_reverts_soulbound(receipts, registration, owner, outsider, reverts):
    """The holder's transferFrom reverts with ReceiptSoulbound and the receipt stays put."""
    with reverts(receipts.ReceiptSoulbound, tokenId=1):
        receipts.transferFrom(owner, outsider, 1, sender=owner)
    assert receipts.ownerOf(1) == owner.address


@pytest.mark.parametrize("data", [None, b"", b"\x01"])
def test_safe_transfer_from_reverts_soulbound(receipts, registration, owner, outsider, data, reverts):
    """Both safeTransferFrom overloads revert with ReceiptSoulbound."""
    args = (owner, outsider, 1) if data is None else (owner, outsider, 1, data)
    with reverts(receipts.ReceiptSoulbound, tokenId=1):
        receipts.safeTransferFrom(*args, sender=owner)


def test_transfer_by_outsider_reverts_soulbound(receipts, registration, owner, outsider, reverts):
    """A transfer attempted by someone else reverts with ReceiptSoulbound too."""
    with reverts(receipts.ReceiptSoulbound, tokenId=2):
        receipts.transferFrom(owner, outsider, 2, sender=outsider)


def test_transfer_of_nonexistent_receipt_reverts(receipts, registration, owner, outsider, reverts):
    """A transfer of an id never minted is not a mint: it reverts with ERC721NonexistentToken."""
    with reverts(receipts.ERC721NonexistentToken, tokenId=9):
        receipts.transferFrom(owner, outsider, 9, sender=owner)


def test_transfer_to_zero_address_reverts(receipts, registration, owner, reverts):
    """A transfer to the zero address is refused by ERC-721 before anything else."""
    with reverts(receipts.ERC721InvalidReceiver, receiver=ZERO_ADDRESS):
        receipts.transferFrom(owner, ZERO_ADDRESS, 1, sender=owner)


def test_approve_reverts_soulbound(receipts, registration, owner, outsider, reverts):
    """approve reverts with ReceiptSoulbound and leaves no approval."""
    with reverts(receipts.ReceiptSoulbound, tokenId=1):
        receipts.approve(outsider, 1, sender=owner)
    assert receipts.getApproved(1) == ZERO_ADDRESS


@pytest.mark.parametrize("approved", [True, False])
def test_set_approval_for_all_reverts_soulbound(receipts, owner, outsider, approved, reverts):
    """setApprovalForAll reverts with ReceiptSoulboundOperator naming the operator."""
    with reverts(receipts.ReceiptSoulboundOperator, operator=outsider):
        receipts.setApprovalForAll(outsider, approved, sender=owner)
    assert not receipts.isApprovedForAll(owner, outsider)


def test_mint_is_registry_only(receipts, registration, outsider, reverts):
    """Anyone but the registry minting reverts with ReceiptUnauthorizedMinter naming the caller."""
    with reverts(receipts.ReceiptUnauthorizedMinter, caller=outsider):
        receipts.mint(outsider, 99, 1, 10_000, CREATOR, sender=outsider)


def test_standalone_mint_by_its_registry(standalone, minter, owner):
    """The trusted minter mints a locked receipt with its data."""
    receipt = standalone.mint(owner, 5, 3, 2_500, VALIDATOR, sender=minter)
    assert standalone.ownerOf(5) == owner.address
    assert tuple(standalone.receipt(5)) == (3, 2_500, VALIDATOR)
    assert standalone.receiptOf(3, owner) == 5
    [locked] = receipt.events.filter(standalone.Locked)
    assert locked.tokenId == 5


def test_mint_rejects_second_receipt_for_same_asset_and_contributor(standalone, minter, owner, reverts):
    """A second receipt for the same (asset, contributor) reverts with the existing receipt."""
    standalone.mint(owner, 1, 3, 5_000, CREATOR, sender=minter)
    with reverts(standalone.ReceiptAlreadyIssued, assetId=3, contributor=owner, receiptId=1):
        standalone.mint(owner, 2, 3, 5_000, TRAINER, sender=minter)
    standalone.mint(owner, 2, 4, 5_000, TRAINER, sender=minter)  # another asset is fine
    assert standalone.balanceOf(owner) == 2


def test_mint_of_an_existing_id_is_soulbound(standalone, minter, owner, labeler, reverts):
    """Minting an id that exists would move it: it reverts with ReceiptSoulbound."""
    standalone.mint(owner, 1, 3, 5_000, CREATOR, sender=minter)
    with reverts(standalone.ReceiptSoulbound, tokenId=1):
        standalone.mint(labeler, 1, 3, 5_000, CURATOR, sender=minter)
    assert standalone.ownerOf(1) == owner.address


def test_mint_to_zero_address_reverts(standalone, minter, reverts):
    """Minting to the zero address reverts with ERC721InvalidReceiver."""
    with reverts(standalone.ERC721InvalidReceiver, receiver=ZERO_ADDRESS):
        standalone.mint(ZERO_ADDRESS, 1, 3, 5_000, CREATOR, sender=minter)
