// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721Burnable} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721Burnable.sol";
import {LowLevelCall} from "@openzeppelin/contracts/utils/LowLevelCall.sol";
import {IAssetRegistry} from "./IAssetRegistry.sol";
import {ILicenseManager} from "./ILicenseManager.sol";
import {IRevenueVault} from "./IRevenueVault.sol";

/**
 * @title LicenseManager
 * @notice Sells access to SAHARA AI assets as ERC-721 licenses ("Sahara License", "SLIC"), paid in
 * SAHARA straight into the revenue vault, which then counts each fee with
 * {IRevenueVault-recordRevenue}: the vault must grant this contract its REVENUE_SOURCE_ROLE, or
 * purchases revert (free offers included). Holders may burn their licenses; non-transferable licenses
 * revert on transfer.
 *
 * {isLicensed} reads an index of the licenses each account holds for each asset, kept in
 * {_update}, so it costs O(licenses of that account for that asset) and follows transfers. Expired
 * or used-up licenses stay in the index until burned.
 *
 * Roles: DEFAULT_ADMIN_ROLE (the DAO timelock) sets the revenue vault and grants METER_ROLE to
 * the metering services that consume API quotas.
 */
contract LicenseManager is ILicenseManager, ERC721Burnable, AccessControl {
    using SafeERC20 for IERC20;

    /// @notice The role of metering services: they consume API quotas.
    bytes32 public constant METER_ROLE = keccak256("METER_ROLE");

    IAssetRegistry private immutable _registry;
    IERC20 private immutable _token;

    // One slot: every purchase reads the vault and bumps the counter.
    address private _revenueVault;
    uint64 private _licenseCount;

    uint64 private _offerCount;

    mapping(uint256 offerId => Offer) private _offers;
    mapping(uint256 licenseId => License) private _licenses;
    mapping(uint256 assetId => mapping(address holder => uint256[] licenseIds)) private _held;

    /**
     * @param registry_ The asset registry: its asset owners publish offers.
     * @param token The SAHARA token (ERC-20 with ERC-2612 permit).
     * @param revenueVault_ The RevenueVault license fees go to; it must grant this contract
     * REVENUE_SOURCE_ROLE before the first purchase.
     * @param admin Holder of DEFAULT_ADMIN_ROLE (the DAO timelock).
     */
    constructor(
        IAssetRegistry registry_,
        IERC20 token,
        address revenueVault_,
        address admin
    ) ERC721("Sahara License", "SLIC") {
        _registry = registry_;
        _token = token;
        _setRevenueVault(revenueVault_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ILicenseManager
    function publishOffer(
        uint256 assetId,
        LicenseKind kind,
        uint32 duration,
        uint64 quota,
        uint256 price,
        bool transferable
    ) external returns (uint256 offerId) {
        _checkAssetOwner(assetId);
        bool valid;
        if (kind == LicenseKind.DURATION) valid = duration != 0 && quota == 0;
        else if (kind == LicenseKind.PERPETUAL) valid = duration == 0 && quota == 0;
        else valid = quota != 0;
        if (!valid) revert LicenseManagerInvalidTerms(kind, duration, quota);

        offerId = ++_offerCount;
        // Asset ids count from 1 and fit in 64 bits (see AssetRegistry).
        _offers[offerId] = Offer({
            assetId: uint64(assetId),
            kind: kind,
            transferable: transferable,
            active: true,
            duration: duration,
            quota: quota,
            price: price
        });
        emit OfferPublished(offerId, assetId, kind, duration, quota, price, transferable);
    }

    /// @inheritdoc ILicenseManager
    function deactivateOffer(uint256 offerId) external {
        Offer storage stored = _activeOffer(offerId);
        uint256 assetId = stored.assetId;
        _checkAssetOwner(assetId);
        stored.active = false;
        emit OfferDeactivated(offerId, assetId);
    }

    /// @inheritdoc ILicenseManager
    function buy(uint256 offerId) external returns (uint256 licenseId) {
        return _buy(offerId, _activeOffer(offerId));
    }

    /// @inheritdoc ILicenseManager
    function buyWithPermit(
        uint256 offerId,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 licenseId) {
        Offer storage stored = _activeOffer(offerId);
        uint256 price = stored.price;
        // OpenZeppelin's advice (IERC20Permit): a permit seen in the mempool can be submitted first by
        // anyone, which makes this one revert although the allowance is in place. Go on in that case.
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), price, deadline, v, r, s) {
            // The allowance is set.
        } catch (bytes memory reason) {
            if (_token.allowance(msg.sender, address(this)) < price) LowLevelCall.bubbleRevert(reason);
        }
        return _buy(offerId, stored);
    }

    /// @inheritdoc ILicenseManager
    function consume(uint256 licenseId, uint64 calls) external onlyRole(METER_ROLE) {
        _consume(licenseId, calls);
    }

    /// @inheritdoc ILicenseManager
    function consumeMany(uint256[] calldata licenseIds, uint64[] calldata calls) external onlyRole(METER_ROLE) {
        if (licenseIds.length != calls.length) revert LicenseManagerLengthMismatch(licenseIds.length, calls.length);
        for (uint256 i = 0; i < licenseIds.length; ++i) {
            _consume(licenseIds[i], calls[i]);
        }
    }

    /// @inheritdoc ILicenseManager
    function setRevenueVault(address vault) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRevenueVault(vault);
    }

    /// @inheritdoc ILicenseManager
    function isLicensed(uint256 assetId, address account) external view returns (bool) {
        uint256[] storage ids = _held[assetId][account];
        uint256 length = ids.length;
        for (uint256 i = 0; i < length; ++i) {
            License storage held = _licenses[ids[i]];
            uint256 expiresAt = held.expiresAt;
            if (
                (expiresAt == 0 || block.timestamp < expiresAt) &&
                (held.kind != LicenseKind.API || held.used < held.quota)
            ) return true;
        }
        return false;
    }

    /// @inheritdoc ILicenseManager
    function licensesOf(uint256 assetId, address holder) external view returns (uint256[] memory) {
        return _held[assetId][holder];
    }

    /// @inheritdoc ILicenseManager
    function offer(uint256 offerId) external view returns (Offer memory) {
        Offer storage stored = _offers[offerId];
        if (stored.assetId == 0) revert LicenseManagerUnknownOffer(offerId);
        return stored;
    }

    /// @inheritdoc ILicenseManager
    function license(uint256 licenseId) external view returns (License memory) {
        return _license(licenseId);
    }

    /// @inheritdoc ILicenseManager
    function offerCount() external view returns (uint256) {
        return _offerCount;
    }

    /// @inheritdoc ILicenseManager
    function licenseCount() external view returns (uint256) {
        return _licenseCount;
    }

    /// @inheritdoc ILicenseManager
    function revenueVault() external view returns (address) {
        return _revenueVault;
    }

    /// @inheritdoc ILicenseManager
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc ILicenseManager
    function paymentToken() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    /**
     * @dev Keeps the (asset, holder) index and the license data in step with ownership: a mint adds
     * the license to its buyer, a transfer moves it (transferable licenses only), a burn removes it
     * and deletes its data.
     */
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        License storage stored = _licenses[tokenId];
        uint256 assetId = stored.assetId;
        if (from != address(0)) {
            if (to != address(0) && !stored.transferable) revert LicenseManagerNonTransferable(tokenId);
            _removeHeld(_held[assetId][from], tokenId);
        }
        if (to != address(0)) {
            _held[assetId][to].push(tokenId);
        } else {
            delete _licenses[tokenId];
        }
    }

    function _buy(uint256 offerId, Offer storage stored) private returns (uint256 licenseId) {
        Offer memory terms = stored;
        address vault = _revenueVault;
        licenseId = _licenseCount + 1;
        _licenseCount = uint64(licenseId);

        // Field by field: the first slot only (`used` starts at zero where it is).
        License storage minted = _licenses[licenseId];
        minted.assetId = terms.assetId;
        minted.offerId = uint64(offerId);
        minted.kind = terms.kind;
        minted.transferable = terms.transferable;
        if (terms.duration != 0) minted.expiresAt = uint48(block.timestamp + terms.duration);
        minted.quota = terms.quota;
        _mint(msg.sender, licenseId);

        _token.safeTransferFrom(msg.sender, vault, terms.price);
        IRevenueVault(vault).recordRevenue(terms.assetId, terms.price);
        emit LicensePurchased(licenseId, offerId, terms.assetId, msg.sender, terms.price, block.timestamp);
    }

    function _consume(uint256 licenseId, uint64 calls) private {
        License storage stored = _license(licenseId);
        LicenseKind kind = stored.kind;
        if (kind != LicenseKind.API) revert LicenseManagerNotApiLicense(licenseId, kind);
        uint256 expiresAt = stored.expiresAt;
        if (expiresAt != 0 && block.timestamp >= expiresAt) revert LicenseManagerLicenseExpired(licenseId, expiresAt);
        if (calls == 0) revert LicenseManagerZeroCalls(licenseId);
        uint256 used = stored.used;
        uint256 quota = stored.quota;
        uint256 newUsed = used + calls;
        if (newUsed > quota) revert LicenseManagerQuotaExceeded(licenseId, calls, used, quota);
        // newUsed <= quota, a uint64.
        stored.used = uint64(newUsed);
        emit QuotaConsumed(licenseId, calls, newUsed, quota);
    }

    function _removeHeld(uint256[] storage ids, uint256 licenseId) private {
        uint256 last = ids.length - 1;
        for (uint256 i = 0; i < last; ++i) {
            if (ids[i] == licenseId) {
                ids[i] = ids[last];
                break;
            }
        }
        // Either it was found and replaced by the last id, or it is the last id.
        ids.pop();
    }

    function _setRevenueVault(address vault) private {
        if (vault == address(0)) revert LicenseManagerInvalidRevenueVault(vault);
        address previous = _revenueVault;
        _revenueVault = vault;
        emit RevenueVaultSet(previous, vault);
    }

    function _activeOffer(uint256 offerId) private view returns (Offer storage stored) {
        stored = _offers[offerId];
        if (stored.assetId == 0) revert LicenseManagerUnknownOffer(offerId);
        if (!stored.active) revert LicenseManagerOfferInactive(offerId);
    }

    function _license(uint256 licenseId) private view returns (License storage stored) {
        stored = _licenses[licenseId];
        if (stored.assetId == 0) revert LicenseManagerUnknownLicense(licenseId);
    }

    function _checkAssetOwner(uint256 assetId) private view {
        if (_registry.assetOwner(assetId) != msg.sender) revert LicenseManagerNotAssetOwner(assetId, msg.sender);
    }
}
