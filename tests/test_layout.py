"""The repository layout keeps the standard library's `token` importable and pytest startable."""

import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from sahara_dao.core.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def test_import_token_finds_the_standard_library_from_the_repository_root():
    """`import token` run from the repository root is the standard library's module, not token/."""
    out = subprocess.run(
        [sys.executable, "-c", "import token, tokenize; print(token.__file__); print(token.NAME)"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    path, name = out.stdout.split()
    assert Path(path).parent != ROOT / "token"
    assert Path(path).name == "token.py" and "python3" in path
    assert name == "1"


def test_domain_folders_have_no_top_level_init():
    """token/, governance/, inference/ and core/ are mapped by package-dir, never packages themselves."""
    for folder in ("token", "governance", "inference", "core"):
        assert (ROOT / folder).is_dir()
        assert not (ROOT / folder / "__init__.py").exists(), folder


def test_sahara_dao_token_is_the_project_folder():
    """`sahara_dao.token` imports from token/ of this repository."""
    import sahara_dao.token.allocation as allocation

    assert Path(allocation.__file__).resolve().parent == ROOT / "token"


def test_python_m_pytest_starts_from_the_repository_root():
    """`python -m pytest` starts and collects from the repository root (token/ shadows nothing)."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:ape_test", "--collect-only", "-q", "tests/core/test_units.py"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "test_units.py::" in out.stdout


def test_cli_help_explains_every_command():
    """`sahara --help` lists every command, and each command's --help has a description."""
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0
    for name in ("deploy", "gov", "node", "genesis", "db", "index", "labeling", "settle", "verify-epoch", "proof", "claim", "tree", "infer", "quarantine", "poll"):
        assert name in top.output
    groups = {"gov": ["status", "delegate", "propose", "vote", "queue", "execute", "cancel", "proposals", "votes", "delegates", "sign-vote", "sign-delegation"],
              "gov relay": ["submit", "run", "status"],
              "node": ["start", "stop", "status"], "genesis": ["check"],
              "labeling": ["ingest", "pay", "status"], "tree": ["build", "proof"], "infer": ["register", "run", "rejected"], "quarantine": ["list", "retry"],
              "poll": ["check-sig", "score", "propose", "vote", "tally", "show", "verify", "push"]}  # fmt: skip
    for group, commands in groups.items():
        for command in commands:
            result = runner.invoke(cli, [*group.split(), command, "--help"])
            assert result.exit_code == 0, (group, command, result.output)
            assert len(result.output.split("Options:")[0].strip().splitlines()) >= 3, (group, command)
    deploy = runner.invoke(cli, ["deploy", "--help"])
    assert "--network" in deploy.output and "Idempotent" in deploy.output
    index = runner.invoke(cli, ["index", "--help"])
    assert "--confirmations" in index.output and "Reorg-safe" in index.output


FORBIDDEN = {  # DESIGN.md, "Parts and their rooms": who may not import whom
    "core": ("token", "governance", "inference"),
    "token": ("governance", "inference"),
    "inference": ("token", "governance"),
}


def test_parts_import_only_what_the_design_allows():
    """core/ reaches domains only through entry points (commands, models, projectors); token/ and
    inference/ import core only; governance/ may read token/."""
    for part, domains in FORBIDDEN.items():
        for path in sorted((ROOT / part).rglob("*.py")):
            source = path.read_text()
            for domain in domains:
                imports = re.search(rf"^\s*(from|import) sahara_dao\.{domain}\b", source, re.M)
                assert imports is None, f"{path.relative_to(ROOT)} imports sahara_dao.{domain}"


def test_airflow_lives_in_its_own_environment():
    """`make setup` builds .venv-airflow with Airflow 3.3 and the task SDK; the app environment has no Airflow."""
    airflow_python = ROOT / ".venv-airflow" / "bin" / "python"
    out = subprocess.run(
        [str(airflow_python), "-c", "import airflow, airflow.sdk; print(airflow.__version__)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip().startswith("3.3.")
    app = subprocess.run([sys.executable, "-c", "import airflow"], capture_output=True, text=True)
    assert app.returncode != 0 and "No module named 'airflow'" in app.stderr
