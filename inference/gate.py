"""The license gate: a request runs only under a valid license of its account for its asset.

Order of preference: a perpetual license, then an unexpired duration license, then an unexpired API
license with enough quota left (counting calls already granted in this run). Otherwise the request
is rejected with the reason: no license, license expired, or quota exhausted.
"""

from dataclasses import dataclass

DURATION, PERPETUAL, API = 0, 1, 2  # ILicenseManager.LicenseKind
KIND_NAMES = {DURATION: "duration", PERPETUAL: "perpetual", API: "api"}
NO_LICENSE, EXPIRED, EXHAUSTED = "no license", "license expired", "quota exhausted"


@dataclass(frozen=True)
class LicenseView:
    """A license as ILicenseManager.license(id) returns it."""

    license_id: int
    kind: int
    expires_at: int  # 0: no expiry
    quota: int
    used: int

    def expired(self, now: int) -> bool:
        return self.expires_at != 0 and now >= self.expires_at


def choose_license(licenses: list[LicenseView], *, now: int, units: int, granted: dict[int, int]) -> tuple[LicenseView | None, str | None]:
    """The license to run ``units`` calls under and ``None``, or ``None`` and the rejection reason.
    ``granted`` (license id -> calls) counts API calls already granted and not yet on chain; the
    chosen API license's entry is increased by ``units``."""
    if not licenses:
        return None, NO_LICENSE
    live = [lic for lic in licenses if not lic.expired(now)]
    for kind in (PERPETUAL, DURATION):
        if any(lic.kind == kind for lic in live):
            return next(lic for lic in live if lic.kind == kind), None
    for lic in live:
        if lic.kind == API and lic.quota - lic.used - granted.get(lic.license_id, 0) >= units:
            granted[lic.license_id] = granted.get(lic.license_id, 0) + units
            return lic, None
    return None, (EXHAUSTED if live else EXPIRED)
