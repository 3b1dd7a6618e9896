"""``sahara poll``: off-chain polls with Snapshot-compatible signed messages."""

import json
import sys
from pathlib import Path

import click


@click.group()
def poll() -> None:
    """Off-chain polls, compatible with Snapshot: check signed messages, score votes."""


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
