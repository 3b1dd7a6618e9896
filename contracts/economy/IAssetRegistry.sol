// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @title IAssetRegistry
 * @notice The registry of SAHARA AI assets (datasets, models, agents): who owns each asset, who
 * contributed to it and with what share of its royalties, and which upstream assets it derives
 * from (its lineage) with the share of its revenue that flows to each of them.
 *
 * Everything the registry holds can be rebuilt off-chain from its events: {AssetRegistered},
 * then one {ContributorRecorded} per contributor and one {LineageAdded} per upstream edge in the
 * same transaction, later {LineageAdded} from {addLineage}, {AssetOwnershipTransferred} and
 * {MaxLineageShareSet}.
 *
 * Shares are basis points (1 bps = 0.01%, 10,000 = 100%). Asset ids and receipt ids count from 1.
 */
interface IAssetRegistry {
    /// @notice What an asset is.
    enum AssetKind {
        DATASET,
        MODEL,
        AGENT
    }

    /// @notice How an asset derives from an upstream asset.
    enum LineageKind {
        TRAINED_ON, // a model trained on a dataset (or an agent built on data)
        FINETUNED_FROM, // a model fine-tuned from a base model
        USES // an agent or a model that calls or embeds another asset
    }

    /**
     * @notice What a contributor did for an asset. It does not change how royalties are split (the
     * share does); it records the kind of work for settlement reports and reputation.
     */
    enum ContributorRole {
        CREATOR, // produced the asset: collected the data, wrote the agent, designed the model
        CURATOR, // selected, cleaned or documented the data
        LABELER, // annotated the data
        TRAINER, // trained or fine-tuned the model
        VALIDATOR // evaluated or reviewed the asset
    }

    /**
     * @notice A registered asset.
     * @param owner The account that manages the asset: adds lineage, publishes license offers.
     * @param kind Dataset, model or agent.
     * @param contributorCount How many contributors (and receipts) the asset has.
     * @param firstReceiptId The receipt of the first contributor; the others follow consecutively.
     * @param contentHash Hash of the asset's content (non-zero), for example its sha256 digest.
     * @param metadataURI Where the asset's metadata lives (may be empty).
     */
    struct Asset {
        address owner;
        AssetKind kind;
        uint16 contributorCount;
        uint64 firstReceiptId;
        bytes32 contentHash;
        string metadataURI;
    }

    /**
     * @notice A contributor as given to {register}.
     * @param account The contributor, who receives a soulbound Receipt.
     * @param shareBps The contributor's share of the asset's royalties, in basis points (non-zero).
     * @param role What the contributor did.
     */
    struct ContributorShare {
        address account;
        uint16 shareBps;
        ContributorRole role;
    }

    /**
     * @notice A contributor as recorded: {ContributorShare} and the receipt minted for it.
     */
    struct Contributor {
        address account;
        uint256 receiptId;
        uint16 shareBps;
        ContributorRole role;
    }

    /**
     * @notice A lineage edge from an asset to one of its upstream assets.
     * @param upstreamId The upstream asset (registered, not the asset itself).
     * @param kind How the asset derives from it.
     * @param shareBps The share of the asset's revenue that flows to the upstream asset, in basis
     * points; zero records attribution without royalty.
     */
    struct Lineage {
        uint64 upstreamId;
        LineageKind kind;
        uint16 shareBps;
    }

    /// @notice The asset `assetId` was registered by `owner`.
    event AssetRegistered(
        uint256 indexed assetId,
        address indexed owner,
        AssetKind kind,
        bytes32 contentHash,
        string metadataURI
    );

    /// @notice `contributor` was recorded on `assetId` with its receipt, share and role.
    event ContributorRecorded(
        uint256 indexed assetId,
        address indexed contributor,
        uint256 receiptId,
        uint16 shareBps,
        ContributorRole role
    );

    /// @notice `assetId` now derives from `upstreamId`, which receives `shareBps` of its revenue.
    event LineageAdded(uint256 indexed assetId, uint256 indexed upstreamId, LineageKind kind, uint16 shareBps);

    /// @notice The ownership of `assetId` moved from `previousOwner` to `newOwner`.
    event AssetOwnershipTransferred(uint256 indexed assetId, address indexed previousOwner, address indexed newOwner);

    /// @notice The cap on the sum of an asset's upstream shares changed (also emitted at deployment).
    event MaxLineageShareSet(uint16 previousBps, uint16 newBps);

    /// @dev No asset has the id `assetId`.
    error AssetRegistryUnknownAsset(uint256 assetId);

    /// @dev `account` called an owner-only function of `assetId` without owning it.
    error AssetRegistryNotAssetOwner(uint256 assetId, address account);

    /// @dev The new owner of `assetId` is the zero address.
    error AssetRegistryInvalidOwner(uint256 assetId, address newOwner);

    /// @dev An asset is registered with a zero content hash.
    error AssetRegistryZeroContentHash();

    /// @dev An asset is registered without contributors.
    error AssetRegistryNoContributors();

    /// @dev The contributor at position `index` is the zero address.
    error AssetRegistryZeroContributor(uint256 index);

    /// @dev `contributor` is given a zero share.
    error AssetRegistryZeroContributorShare(address contributor);

    /// @dev `contributor` appears more than once among an asset's contributors.
    error AssetRegistryDuplicateContributor(address contributor);

    /// @dev The contributors' shares sum to `totalBps` instead of exactly 10,000.
    error AssetRegistryInvalidShareTotal(uint256 totalBps);

    /// @dev `assetId` would list itself as upstream.
    error AssetRegistrySelfLineage(uint256 assetId);

    /// @dev `assetId` already derives from `upstreamId`: one edge per pair of assets.
    error AssetRegistryDuplicateLineage(uint256 assetId, uint256 upstreamId);

    /// @dev `assetId` deriving from `upstreamId` would close a cycle: `assetId` is upstream of `upstreamId`.
    error AssetRegistryLineageCycle(uint256 assetId, uint256 upstreamId);

    /**
     * @dev Checking that `assetId` deriving from `upstreamId` closes no cycle examined more than
     * `maxEdges` lineage edges upstream of `upstreamId`, and stopped.
     */
    error AssetRegistryLineageWalkTooLong(uint256 assetId, uint256 upstreamId, uint256 maxEdges);

    /// @dev The upstream shares of `assetId` would sum to `totalBps`, above the cap `capBps`.
    error AssetRegistryLineageShareCapExceeded(uint256 assetId, uint256 totalBps, uint256 capBps);

    /// @dev A cap on upstream shares of `capBps` is above 10,000 basis points.
    error AssetRegistryInvalidMaxLineageShare(uint256 capBps);

    /**
     * @notice Registers an asset owned by the caller, mints one soulbound Receipt to each contributor
     * and records the asset's upstream lineage.
     * @param kind Dataset, model or agent.
     * @param contentHash Hash of the asset's content; must not be zero.
     * @param metadataURI Where the asset's metadata lives (may be empty).
     * @param contributors At least one; distinct non-zero accounts with non-zero shares summing to
     * exactly 10,000 basis points.
     * @param lineage Upstream edges: registered assets, each at most once, whose shares sum to at most
     * {maxLineageShareBps}.
     * @return assetId The new asset's id.
     */
    function register(
        AssetKind kind,
        bytes32 contentHash,
        string calldata metadataURI,
        ContributorShare[] calldata contributors,
        Lineage[] calldata lineage
    ) external returns (uint256 assetId);

    /**
     * @notice Records that `assetId` also derives from `upstreamId`. Only the asset's owner may call.
     * The edge must not duplicate one `assetId` has, must keep the lineage graph acyclic, and must keep
     * the sum of `assetId`'s upstream shares within {maxLineageShareBps}.
     * @param assetId The downstream asset, owned by the caller.
     * @param upstreamId A registered asset other than `assetId`.
     * @param kind How `assetId` derives from it.
     * @param shareBps The share of `assetId`'s revenue that flows to `upstreamId` (zero allowed).
     */
    function addLineage(uint256 assetId, uint256 upstreamId, LineageKind kind, uint16 shareBps) external;

    /**
     * @notice Hands `assetId` over to `newOwner`. Only the asset's owner may call.
     * @param assetId The asset.
     * @param newOwner The new owner; must not be the zero address.
     */
    function transferAssetOwnership(uint256 assetId, address newOwner) external;

    /**
     * @notice Sets the cap on the sum of an asset's upstream shares, for edges added from now on
     * (assets already above a lowered cap keep their edges). Only DEFAULT_ADMIN_ROLE (the DAO).
     * @param capBps The new cap, at most 10,000 basis points.
     */
    function setMaxLineageShareBps(uint16 capBps) external;

    /// @notice The asset `assetId`; reverts if it does not exist.
    function asset(uint256 assetId) external view returns (Asset memory);

    /// @notice The owner of `assetId`; reverts if it does not exist.
    function assetOwner(uint256 assetId) external view returns (address);

    /// @notice Whether `assetId` exists.
    function exists(uint256 assetId) external view returns (bool);

    /// @notice The contributors of `assetId` in registration order; reverts if it does not exist.
    function contributors(uint256 assetId) external view returns (Contributor[] memory);

    /// @notice The upstream edges of `assetId` in the order they were added; reverts if it does not exist.
    function lineage(uint256 assetId) external view returns (Lineage[] memory);

    /// @notice How many assets exist: their ids are 1 to this number.
    function assetCount() external view returns (uint256);

    /// @notice The cap on the sum of an asset's upstream shares, in basis points.
    function maxLineageShareBps() external view returns (uint16);

    /// @notice The Receipt contract, whose only minter is this registry.
    function receipts() external view returns (address);
}
