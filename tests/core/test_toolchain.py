"""The offline compiler launcher answers like a native solc, and a missing toolchain says `make setup`."""

import json
import subprocess

import pytest

from sahara_dao.core.contracts import SOLC_VERSION, ensure_compiler
from sahara_dao.core.errors import ToolchainError
from sahara_dao.core.settings import get_settings


def launcher() -> str:
    return str(get_settings().solc_dir / f"solc-v{SOLC_VERSION}")


def test_version_is_in_the_native_format_py_solc_x_expects():
    """`--version` prints a `Version: 0.8.28+commit.<hash>` line."""
    out = subprocess.run([launcher(), "--version"], capture_output=True, text=True, check=True).stdout
    assert f"Version: {SOLC_VERSION}+commit.7893614a" in out


def test_standard_json_compiles_and_resolves_imports_from_the_base_path(tmp_path):
    """--standard-json prints only JSON and reads missing imports from --base-path."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "Answer.sol").write_text("pragma solidity ^0.8.0; library Answer { uint256 constant X = 42; }")
    source = 'pragma solidity ^0.8.0; import "lib/Answer.sol"; contract C { function x() external pure returns (uint256) { return Answer.X; } }'
    request = {
        "language": "Solidity",
        "sources": {"C.sol": {"content": source}},
        "settings": {"outputSelection": {"*": {"*": ["abi", "evm.deployedBytecode.object"]}}},
    }
    out = subprocess.run([launcher(), "--standard-json", "--base-path", str(tmp_path)],
                         input=json.dumps(request), capture_output=True, text=True, check=True).stdout  # fmt: skip
    result = json.loads(out)
    assert not [e for e in result.get("errors", []) if e["severity"] == "error"], result.get("errors")
    assert result["contracts"]["C.sol"]["C"]["abi"][0]["name"] == "x"
    assert result["contracts"]["C.sol"]["C"]["evm"]["deployedBytecode"]["object"]


def test_a_missing_launcher_points_at_setup(settings_env, tmp_path):
    """Without `make setup` the compiler error names the command to run."""
    settings_env(SAHARA_PROJECT_DIR=str(tmp_path))
    with pytest.raises(ToolchainError, match="run `make setup`"):
        ensure_compiler()
