"""The project's compiled contracts, through Ape, with the offline compiler of ``make setup``."""

import os
import shutil
from functools import cache

from sahara_dao.core.errors import ToolchainError
from sahara_dao.core.settings import get_settings

SOLC_VERSION = "0.8.28"


def ensure_compiler() -> None:
    """Point py-solc-x at the npm-backed launcher; a clear error when setup has not installed it."""
    settings = get_settings()
    launcher = settings.solc_dir / f"solc-v{SOLC_VERSION}"
    if not launcher.exists():
        raise ToolchainError(f"the Solidity compiler launcher {launcher} is missing: run `make setup`")
    os.environ.setdefault("SOLCX_BINARY_PATH", str(settings.solc_dir))
    # ape-solidity unpacks OpenZeppelin (500+ files) into contracts/.cache when it compiles, and
    # leaves it there; eth-ape 0.8.51 lists at most 500 files under contracts/, so with the cache
    # present our own sources can drop out of the project. It is scratch space: remove it.
    shutil.rmtree(settings.project_dir / "contracts" / ".cache", ignore_errors=True)
    bin_dir = str(settings.node_modules_bin)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


@cache
def project():
    """The Ape project of this repository (compiled on first use, then cached in .build/)."""
    import ape

    ensure_compiler()
    settings = get_settings()
    if settings.project_dir.resolve() == ape.project.path.resolve():
        return ape.project
    return ape.Project(settings.project_dir)


def code_exists(address: str) -> bool:
    from ape import chain

    return len(chain.provider.get_code(address)) > 0
