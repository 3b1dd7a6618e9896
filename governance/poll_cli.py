"""``sahara poll``: off-chain polls scored as Snapshot scores them."""

import json
import math
from pathlib import Path

import click

from sahara_dao.governance.errors import VotingError
from sahara_dao.governance.jsvalues import number_to_string
from sahara_dao.governance.voting import VOTING_TYPES, score


@click.group()
def poll() -> None:
    """Off-chain polls compatible with Snapshot (snapshot.js 0.17.5): score votes, check signatures."""


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number (JSON.parse refuses it); write a number")


def _load_votes(path: Path) -> list:
    text = click.get_text_stream("stdin").read() if str(path) == "-" else path.read_text()
    try:
        votes = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as error:
        raise click.ClickException(f"{path} is not JSON: {error}") from None
    if not isinstance(votes, list):
        raise click.ClickException(
            f'{path} must hold a JSON list of {{"choice": ..., "balance": ...}} objects'
        )
    return votes


def js_array(values: list[float]) -> str:
    """A list of numbers written as JSON.stringify writes it (non-finite numbers become null)."""
    return "[" + ",".join(number_to_string(v) if math.isfinite(v) else "null" for v in values) + "]"


@poll.command("score")
@click.option("--type", "voting_type", required=True, type=click.Choice(VOTING_TYPES),
              help="The proposal's voting type (basic scores as single-choice).")  # fmt: skip
@click.option("--choices", "n_choices", required=True, type=click.IntRange(min=1),
              help="How many choices the proposal offers (choice numbers are 1-based).")  # fmt: skip
@click.option("--strategies", "n_strategies", type=click.IntRange(min=1), default=None,
              help="Strategies per vote's \"scores\" list (default: the first vote's, or 1).")  # fmt: skip
@click.argument(
    "votes_file", metavar="VOTES.json", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path)
)
def score_command(voting_type: str, n_choices: int, n_strategies: int | None, votes_file: Path) -> None:
    """Score a JSON list of votes exactly as snapshot.js's voting class for --type does.

    Each vote is {"choice": ..., "balance": number, "scores": [number per strategy]} (scores are
    optional with one strategy: the balance). Votes with an invalid choice are ignored by the
    scores and still count in the total (except under copeland), as in snapshot.js. Prints a
    summary, then the per-choice scores as a JSON array on the last line. VOTES.json may be - for stdin.
    """
    if not votes_file.exists() and str(votes_file) != "-":
        raise click.ClickException(f"{votes_file} does not exist; give the path of a JSON list of votes")
    votes = _load_votes(votes_file)
    if n_strategies is None:
        first = votes[0] if votes and isinstance(votes[0], dict) else {}
        n_strategies = (
            len(first["scores"]) if isinstance(first.get("scores"), list) and first["scores"] else 1
        )
    try:
        result = score(voting_type, n_choices, votes, n_strategies)
    except VotingError as error:
        raise click.ClickException(f"{error}") from None
    click.echo(f"{voting_type} poll, {n_choices} choices: {result.valid_count} of {len(votes)} votes valid, "
               f"total voting power {number_to_string(result.scores_total)}")  # fmt: skip
    counted = sum(result.scores)
    for i, value in enumerate(result.scores, start=1):
        share = f"{100 * value / counted:6.2f}%" if counted > 0 else "      -"
        click.echo(f"  choice {i:>3}  {number_to_string(value):>24}  {share}")
    click.echo(js_array(result.scores))
