"""Reading the project's YAML configuration files with errors that say which option to use."""

from pathlib import Path

import yaml

from sahara_dao.core.errors import ConfigError


def read_yaml(path: Path, what: str, hint: str, error: type[ConfigError] = ConfigError) -> object:
    """The parsed content of ``path``; ``error`` names the file and ``hint`` when it is missing or invalid."""
    try:
        return yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise error(f"{what} file {path} not found: {hint}") from None
    except yaml.YAMLError as exc:
        raise error(f"{what} file {path} is not valid YAML: {exc}") from None
