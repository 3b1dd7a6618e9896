"""Contracts compiled in memory for the benchmarks: minimal or altered variants of ours, built by
the project's own solc with the optimizer and EVM settings Ape used, so that a benchmark can show
what one design choice costs in the same run. Nothing is written to the repository."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]


def compiler_settings(contract: str) -> tuple[str, dict]:
    """The solc version and settings Ape compiled ``contract`` with."""
    from ape import project

    for compiler in project.manifest.compilers or []:
        if contract in (compiler.contractTypes or []):
            return compiler.version.split("+")[0], dict(compiler.settings)
    return "unknown", {}


def compile_variants(path: str, source: str, names, version: str, settings: dict):
    """``names`` from ``source`` (kept in memory at the virtual ``path``) as Ape contract containers;
    ``({}, reason)`` when they cannot be built, so that a benchmark runs on without them."""
    import solcx
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    standard_json = {
        "language": "Solidity",
        "sources": {path: {"content": source}},
        "settings": {
            **{k: v for k, v in settings.items() if k in ("optimizer", "evmVersion", "viaIR")},
            "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
            "outputSelection": {path: {name: OUTPUTS for name in names}},
        },
    }
    try:
        out = solcx.compile_standard(
            standard_json,
            solc_binary=ROOT / ".solcx" / f"solc-v{version}",
            base_path=str(ROOT),
            allow_paths=[str(ROOT), str((ROOT / "node_modules").resolve())],
        )
    except Exception as err:  # the benchmark runs on without the variants
        return {}, str(err).strip().splitlines()[0]
    containers = {}
    for name in names:
        output = out["contracts"][path][name]
        containers[name] = ContractContainer(
            ContractType(
                contractName=name,
                abi=output["abi"],
                deploymentBytecode={"bytecode": "0x" + output["evm"]["bytecode"]["object"]},
                runtimeBytecode={"bytecode": "0x" + output["evm"]["deployedBytecode"]["object"]},
            )
        )
    return containers, None


def compile_variant(name: str, path: str, source: str, version: str, settings: dict):
    """One contract: ``(container, None)``, or ``(None, reason)`` when it cannot be built."""
    containers, error = compile_variants(path, source, [name], version, settings)
    return containers.get(name), error
