"""``sahara poll``: off-chain polls compatible with Snapshot: signed messages, scoring, spaces,
proposals, votes, tallies and their verification."""

import json
import math
import sys
from pathlib import Path

import click

from sahara_dao.core.db import session_scope
from sahara_dao.core.errors import SaharaError
from sahara_dao.governance.errors import VotingError
from sahara_dao.governance.jsvalues import number_to_string
from sahara_dao.governance.voting import VOTING_TYPES, score


@click.group()
def poll() -> None:
    """Off-chain polls compatible with Snapshot (snapshot.js 0.17.5): score votes, check signatures,
    run polls (spaces, signed proposals and votes, tallies, verification)."""


# --- signed messages (governance/messages.py) ---


@poll.command("check-sig")
@click.argument("message_file", metavar="MESSAGE.json", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as one JSON object instead of plain text.")
def check_sig(message_file: Path, as_json: bool) -> None:
    """Verify a snapshot.js-signed envelope and print its signer.

    MESSAGE.json is what snapshot.js's Client712 posts to a hub: {"address", "sig", "data":
    {"domain", "types", "message"}} ("-" reads it from standard input). The domain must be
    snapshot.js's (name "snapshot", version "0.1.4"), the types exactly one of its type sets (Vote
    in its uint32 / uint32[] / string choice forms, Proposal, Space, Follow...), and the signature must
    recover the envelope's address, which must also be message.from.

    Prints the signer's address; a refused envelope exits with status 1 and prints the reason code
    (malformed-envelope, wrong-domain, unknown-type, malformed-field, bad-signature, signer-mismatch)
    and what is wrong. Only ordinary accounts (EOAs) are verified: contract wallets (EIP-1271), which
    snapshot.js checks through a node, are refused as signer-mismatch.
    """
    from sahara_dao.governance.errors import EnvelopeError
    from sahara_dao.governance.messages import check_envelope

    text = sys.stdin.read() if str(message_file) == "-" else _read(message_file)
    try:
        envelope = json.loads(text)
    except json.JSONDecodeError as exc:
        _refused("malformed-envelope", f"{message_file} is not JSON ({exc})", as_json)
    try:
        signed = check_envelope(envelope)
    except EnvelopeError as exc:
        _refused(exc.reason, exc.detail, as_json)
    if as_json:
        click.echo(json.dumps({"valid": True, "signer": signed.signer, "type": signed.type, "digest": "0x" + signed.digest.hex()}))
    else:
        click.echo(f"valid {signed.type} message signed by", err=True)
        click.echo(signed.signer)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise click.FileError(str(path), hint=exc.strerror or str(exc)) from None


def _refused(reason: str, detail: str, as_json: bool):
    if as_json:
        click.echo(json.dumps({"valid": False, "reason": reason, "detail": detail}))
    else:
        click.secho(f"refused ({reason}): {detail}", fg="red", err=True)
    sys.exit(1)


# --- scoring (governance/voting.py) ---


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


# --- spaces, proposals, votes, tallies (governance/polls.py, poll_results.py, hub.py) ---


def _read_json(path: Path, what: str):
    try:
        return json.loads(Path(path).read_text())
    except ValueError as exc:
        raise click.ClickException(
            f"{path} is not JSON ({exc}): pass the {what} as snapshot.js sends it"
        ) from None


def _fail(exc: SaharaError) -> click.ClickException:
    return click.ClickException(str(exc))


@poll.group("space")
def space_group() -> None:
    """Spaces: who may propose, which strategies give voting power, the voting rules."""


@space_group.command("create")
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def space_create(config: Path) -> None:
    """Create (or update) a space from a YAML or JSON settings file.

    \b
    The file holds: id, name, network (main chain id), chains, strategies
    (erc20-balance-of, delegation, staked-sahara, receipt-holders, each with a
    weight and params), voting (type, delay, period, quorum), validation
    ({name: basic, params: {minScore: N}} or {name: any}), admins, members,
    filters.onlyMembers. governance/space.yaml is the Sahara DAO's. Rerunning
    with the same file changes nothing.
    """
    from sahara_dao.governance.polls import create_space
    from sahara_dao.governance.spaces import load_space_file

    try:
        settings = load_space_file(config)
        with session_scope() as session:
            _row, changed = create_space(session, settings)
    except SaharaError as exc:
        raise _fail(exc) from None
    click.echo(
        f"space {settings.id} {'stored' if changed else 'unchanged'} (settings {settings.digest[:18]}...)"
    )
    for strategy in settings.strategies:
        click.echo(
            f"  {strategy.name:18} weight {strategy.as_dict()['weight']} {dict(strategy.params) or ''}"
        )
    click.echo(
        f"  chains {', '.join(map(str, settings.chains))}; snapshot blocks are on chain {settings.network}"
    )


def _blocks(values: tuple[str, ...]) -> dict[int, int]:
    blocks = {}
    for value in values:
        chain, _, block = value.partition("=")
        if not (chain.isdigit() and block.isdigit()):
            raise click.BadParameter(
                f"{value!r}: write CHAIN_ID=BLOCK, e.g. 31338=120", param_hint="--snapshot-block"
            )
        blocks[int(chain)] = int(block)
    return blocks


@poll.command("propose")
@click.argument("envelope", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--snapshot-block", "snapshot_blocks", multiple=True, metavar="CHAIN_ID=BLOCK",
              help="The snapshot block of a chain other than the space's main one (default: its last block "
                   "at or before the time of the signed snapshot block).")  # fmt: skip
def propose(envelope: Path, snapshot_blocks: tuple[str, ...]) -> None:
    """Submit a signed proposal (a snapshot.js envelope {address, sig, data}).

    The signature, the space's rules and the proposer's voting power at the
    snapshot (proposal validation) are checked; the snapshot must be indexed on
    every chain of the space (`sahara index`). Submitting it again changes nothing.
    """
    from sahara_dao.governance.poll_results import format_sahara
    from sahara_dao.governance.polls import submit_proposal
    from sahara_dao.governance.strategies import to_float

    try:
        with session_scope() as session:
            row = submit_proposal(
                session, _read_json(envelope, "proposal envelope"), snapshot_blocks=_blocks(snapshot_blocks)
            )
    except SaharaError as exc:
        raise _fail(exc) from None
    click.echo(f"proposal {row.id}")
    click.echo(f"  {row.type} in space {row.space}: {row.title}")
    click.echo(f"  voting {row.start} -> {row.end}; snapshot blocks {row.snapshot_blocks}")
    click.echo(f"  proposer {row.author} with {format_sahara(to_float(row.author_power))} of voting power")


@poll.command("vote")
@click.argument(
    "envelopes", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def vote(envelopes: tuple[Path, ...]) -> None:
    """Submit signed votes (snapshot.js envelopes; a file may hold one or a JSON list).

    Every vote is recorded: accepted, replaced (by a later-signed vote of the same
    voter) or rejected with the reason (bad signature or domain, unknown space or
    proposal, duplicate signature, outside the voting window, invalid choice, no
    voting power). Exits with status 1 when any vote is rejected.
    """
    from sahara_dao.governance.poll_results import format_sahara
    from sahara_dao.governance.polls import REJECTED, submit_vote
    from sahara_dao.governance.strategies import to_float

    rejected = 0
    try:
        with session_scope() as session:
            for path in envelopes:
                items = _read_json(path, "vote envelope")
                for item in items if isinstance(items, list) else [items]:
                    row = submit_vote(session, item)
                    rejected += row.status == REJECTED
                    power = f" with {format_sahara(to_float(row.vp))}" if row.status != REJECTED else ""
                    click.echo(
                        f"{row.status:8} {row.voter or '?'}{power}{': ' + row.reason if row.reason else ''}"
                    )
    except SaharaError as exc:
        raise _fail(exc) from None
    if rejected:
        raise SystemExit(1)


def _show(session, proposal_id: str) -> None:
    from sahara_dao.governance.poll_results import describe

    for line in describe(session, proposal_id):
        click.echo(line)


@poll.command("tally")
@click.argument("proposal")
def tally_command(proposal: str) -> None:
    """Tally a proposal: voting power at its snapshot, snapshot.js scoring, stored result."""
    from sahara_dao.governance.poll_results import tally

    try:
        with session_scope() as session:
            tally(session, proposal)
            _show(session, proposal)
    except SaharaError as exc:
        raise _fail(exc) from None


@poll.command("show")
@click.argument("proposal")
def show(proposal: str) -> None:
    """Show a proposal's stored result, per strategy and per chain, and its refused votes with reasons."""
    try:
        with session_scope() as session:
            _show(session, proposal)
    except SaharaError as exc:
        raise _fail(exc) from None


@poll.command("verify")
@click.argument("proposal")
@click.option("--recompute-power", is_flag=True,
              help="Also recompute every counted vote's power from the index (which must still hold the "
                   "snapshot blocks) instead of trusting the power stored with the votes.")  # fmt: skip
def verify_command(proposal: str, recompute_power: bool) -> None:
    """Recompute a tally from the stored signed messages and compare it with the stored result.

    Every stored signature is verified again, the acceptance and replacement rules
    are replayed on the stored envelopes, and the votes kept are scored with their
    stored voting power. Exits with status 1 on any difference.
    """
    from sahara_dao.governance.poll_results import verify

    try:
        with session_scope() as session:
            report = verify(session, proposal, recompute_power=recompute_power)
    except SaharaError as exc:
        raise _fail(exc) from None
    for problem in report.problems:
        click.echo(f"MISMATCH {problem}")
    click.echo(f"{'verified' if report.ok else 'NOT verified'}: {report.votes_checked} stored votes, "
               f"{report.counted} counted, proposal {report.proposal_id}")  # fmt: skip
    if not report.ok:
        raise SystemExit(1)


@poll.command("push")
@click.option("--hub", default=None, help="Snapshot hub URL [default: SAHARA_SNAPSHOT_HUB].")
@click.option("--proposal", default=None, help="Only this proposal and its votes.")
def push_command(hub: str | None, proposal: str | None) -> None:
    """Send stored proposals and counted votes not yet sent to a Snapshot hub (POST /api/msg)."""
    from sahara_dao.core.settings import get_settings
    from sahara_dao.governance.hub import push

    hub = hub or get_settings().snapshot_hub
    if not hub:
        raise click.ClickException("no Snapshot hub configured: set SAHARA_SNAPSHOT_HUB or pass --hub URL")
    try:
        with session_scope() as session:
            lines = push(session, hub, proposal_id=proposal)
    except SaharaError as exc:
        raise _fail(exc) from None
    for line in lines:
        click.echo(line)
    click.echo(f"{len(lines)} messages sent to {hub}")
