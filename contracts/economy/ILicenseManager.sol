// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @title ILicenseManager
 * @notice Access rights to SAHARA AI assets, sold for SAHARA as ERC-721 licenses ("Sahara License",
 * "SLIC"). An asset's owner (per the asset registry) publishes offers; anyone buys one with
 * {buy} (after approving the price) or {buyWithPermit} (one transaction, ERC-2612); the fee goes
 * straight to the revenue vault, is counted there with {IRevenueVault-recordRevenue} (this contract
 * needs the vault's REVENUE_SOURCE_ROLE), and {LicensePurchased} records the sale for royalty
 * settlement.
 * Metering services holding METER_ROLE consume API quotas.
 */
interface ILicenseManager {
    /**
     * @notice What a license grants.
     * DURATION: access for `duration` seconds from the purchase.
     * PERPETUAL: access forever.
     * API: `quota` metered calls, optionally within `duration` seconds from the purchase.
     */
    enum LicenseKind {
        DURATION,
        PERPETUAL,
        API
    }

    /**
     * @notice A license offer; immutable once published except that it can be deactivated.
     * @param assetId The licensed asset.
     * @param kind What the license grants.
     * @param transferable Whether licenses bought from this offer can change hands.
     * @param active Whether the offer is still on sale.
     * @param duration Seconds of access from the purchase: non-zero for DURATION, zero for PERPETUAL,
     * and for API the validity of the quota (zero: no expiry).
     * @param quota Calls granted: non-zero for API, zero otherwise.
     * @param price In SAHARA base units (zero allowed).
     */
    struct Offer {
        uint64 assetId;
        LicenseKind kind;
        bool transferable;
        bool active;
        uint32 duration;
        uint64 quota;
        uint256 price;
    }

    /**
     * @notice A license, as its NFT records it.
     * @param assetId The licensed asset.
     * @param offerId The offer it was bought from.
     * @param kind What it grants.
     * @param transferable Whether it can change hands (mint and burn are always allowed).
     * @param expiresAt The first second without access (zero: no expiry).
     * @param quota API calls granted (API only).
     * @param used API calls consumed so far (API only).
     */
    struct License {
        uint64 assetId;
        uint64 offerId;
        LicenseKind kind;
        bool transferable;
        uint48 expiresAt;
        uint64 quota;
        uint64 used;
    }

    /// @notice The owner of `assetId` published offer `offerId`.
    event OfferPublished(
        uint256 indexed offerId,
        uint256 indexed assetId,
        LicenseKind kind,
        uint32 duration,
        uint64 quota,
        uint256 price,
        bool transferable
    );

    /// @notice Offer `offerId` of `assetId` is no longer on sale.
    event OfferDeactivated(uint256 indexed offerId, uint256 indexed assetId);

    /**
     * @notice `buyer` bought license `licenseId` of `assetId` from offer `offerId`, paying `amount` into
     * the revenue vault at `purchasedAt` (the block timestamp): the input of royalty settlement.
     */
    event LicensePurchased(
        uint256 indexed licenseId,
        uint256 offerId,
        uint256 indexed assetId,
        address indexed buyer,
        uint256 amount,
        uint256 purchasedAt
    );

    /// @notice `calls` API calls were consumed on `licenseId`, which has now used `used` of `quota`.
    event QuotaConsumed(uint256 indexed licenseId, uint256 calls, uint256 used, uint256 quota);

    /// @notice License fees now go to `newVault` (also emitted at deployment).
    event RevenueVaultSet(address indexed previousVault, address indexed newVault);

    /// @dev `account` acted on `assetId`'s offers without owning the asset.
    error LicenseManagerNotAssetOwner(uint256 assetId, address account);

    /// @dev An offer of `kind` cannot have this `duration` and `quota` (see {LicenseKind}).
    error LicenseManagerInvalidTerms(LicenseKind kind, uint32 duration, uint64 quota);

    /// @dev No offer has the id `offerId`.
    error LicenseManagerUnknownOffer(uint256 offerId);

    /// @dev Offer `offerId` has been deactivated.
    error LicenseManagerOfferInactive(uint256 offerId);

    /// @dev No license has the id `licenseId` (never minted, or burned).
    error LicenseManagerUnknownLicense(uint256 licenseId);

    /// @dev License `licenseId` is not transferable.
    error LicenseManagerNonTransferable(uint256 licenseId);

    /// @dev License `licenseId` is a `kind` license, not an API license: it has no quota.
    error LicenseManagerNotApiLicense(uint256 licenseId, LicenseKind kind);

    /// @dev License `licenseId` expired at `expiresAt`.
    error LicenseManagerLicenseExpired(uint256 licenseId, uint256 expiresAt);

    /// @dev Consuming `calls` on license `licenseId`, which has used `used` of `quota`, exceeds its quota.
    error LicenseManagerQuotaExceeded(uint256 licenseId, uint256 calls, uint256 used, uint256 quota);

    /// @dev A meter tried to consume zero calls on license `licenseId`.
    error LicenseManagerZeroCalls(uint256 licenseId);

    /// @dev A batch has `licenseIds` license ids but `calls` call counts.
    error LicenseManagerLengthMismatch(uint256 licenseIds, uint256 calls);

    /// @dev `vault` (the zero address) cannot receive license fees.
    error LicenseManagerInvalidRevenueVault(address vault);

    /**
     * @notice Publishes a license offer for `assetId`. Only the asset's owner (per the registry).
     * @param assetId The asset; reverts with the registry's error if it does not exist.
     * @param kind What the license grants.
     * @param duration DURATION: seconds of access, non-zero. PERPETUAL: zero. API: seconds the quota
     * stays valid, zero for no expiry.
     * @param quota API: calls granted, non-zero. Otherwise zero.
     * @param price In SAHARA base units.
     * @param transferable Whether the licenses can change hands.
     * @return offerId The new offer's id.
     */
    function publishOffer(
        uint256 assetId,
        LicenseKind kind,
        uint32 duration,
        uint64 quota,
        uint256 price,
        bool transferable
    ) external returns (uint256 offerId);

    /**
     * @notice Takes offer `offerId` off sale, for good; licenses already sold are unaffected. Only the
     * current owner of the offer's asset.
     */
    function deactivateOffer(uint256 offerId) external;

    /**
     * @notice Buys a license from offer `offerId`, paying its price from the caller's SAHARA into the
     * revenue vault, which records it as revenue of the offer's asset. The caller must have approved
     * this contract for the price.
     * @return licenseId The license minted to the caller.
     */
    function buy(uint256 offerId) external returns (uint256 licenseId);

    /**
     * @notice {buy} with an ERC-2612 permit of the caller for this contract and exactly the offer's
     * price, so that one transaction suffices. If the permit fails (for example because someone
     * submitted it first) the purchase goes on when the allowance already covers the price, and
     * otherwise reverts with the permit's error.
     * @return licenseId The license minted to the caller.
     */
    function buyWithPermit(
        uint256 offerId,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 licenseId);

    /**
     * @notice Records `calls` API calls on license `licenseId`. Only METER_ROLE. Reverts unless it is
     * an unexpired API license with enough quota left.
     */
    function consume(uint256 licenseId, uint64 calls) external;

    /// @notice {consume} for each pair of `licenseIds` and `calls`, all or nothing. Only METER_ROLE.
    function consumeMany(uint256[] calldata licenseIds, uint64[] calldata calls) external;

    /// @notice Sends license fees to `vault` from now on. Only DEFAULT_ADMIN_ROLE (the DAO). `vault`
    /// must be a RevenueVault that grants this contract REVENUE_SOURCE_ROLE, or purchases revert.
    function setRevenueVault(address vault) external;

    /**
     * @notice Whether `account` now holds a valid license for `assetId`: perpetual, unexpired duration,
     * or unexpired API with quota left. Costs O(licenses `account` holds for `assetId`).
     */
    function isLicensed(uint256 assetId, address account) external view returns (bool);

    /// @notice The licenses `holder` holds for `assetId`, in no particular order.
    function licensesOf(uint256 assetId, address holder) external view returns (uint256[] memory);

    /// @notice Offer `offerId`; reverts if it does not exist.
    function offer(uint256 offerId) external view returns (Offer memory);

    /// @notice License `licenseId`; reverts if it does not exist (or was burned).
    function license(uint256 licenseId) external view returns (License memory);

    /// @notice How many offers were published: their ids are 1 to this number.
    function offerCount() external view returns (uint256);

    /// @notice How many licenses were sold: their ids are 1 to this number (burned ones included).
    function licenseCount() external view returns (uint256);

    /// @notice Where license fees go.
    function revenueVault() external view returns (address);

    /// @notice The asset registry whose owners publish offers.
    function registry() external view returns (address);

    /// @notice The token licenses are paid in (SAHARA).
    function paymentToken() external view returns (address);
}
