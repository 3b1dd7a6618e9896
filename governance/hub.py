"""Sending stored proposals and votes to a Snapshot hub (``SAHARA_SNAPSHOT_HUB``), as snapshot.js's
``Client`` posts them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from sahara_dao.governance.models import PollProposal
from sahara_dao.governance.polls import ACCEPTED, PollError, clock, get_proposal, votes_of

# -----------------------------------------------------------------------------------------------


SEQUENCERS = {
    "https://hub.snapshot.org": "https://seq.snapshot.org",
    "https://testnet.hub.snapshot.org": "https://testnet.seq.snapshot.org",
    "http://localhost:3000": "http://localhost:3001",
}
"""Hubs and the sequencers that take their signed messages (snapshot.js's constants.json)."""


def message_url(hub: str) -> str:
    """Where signed messages are POSTed: the URL as snapshot.js's ``Client`` takes it (its hub URLs
    mapped to their sequencer, as the Client does; a legacy hub's ``.../api/msg`` is used as given)."""
    hub = hub.rstrip("/")
    return SEQUENCERS.get(hub, hub)


def push(session: Session, hub: str, *, proposal_id: str | None = None, timeout: float = 10.0) -> list[str]:
    """Send the stored proposals (and their counted votes) not yet sent to the hub (:func:`message_url`),
    each envelope verbatim as snapshot.js's ``Client.send`` posts it; returns one line per message sent. Stops at the first refusal, with the hub's answer."""
    import urllib.error
    import urllib.request

    query = select(PollProposal)
    if proposal_id:
        query = select(PollProposal).where(PollProposal.id == get_proposal(session, proposal_id).id)
    lines = []
    url = message_url(hub)

    def send(envelope: Mapping[str, Any], what: str) -> None:
        request = urllib.request.Request(
            url, data=json.dumps(envelope).encode(), method="POST",
            headers={"Accept": "application/json", "Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = response.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            raise PollError(
                f"the hub {hub} refused {what}: HTTP {exc.code} {exc.read().decode(errors='replace')[:300]}"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            raise PollError(f"cannot reach the hub {hub} ({exc}): check SAHARA_SNAPSHOT_HUB") from None
        lines.append(f"{what}: {answer[:200]}")

    for proposal in session.exec(query.order_by(PollProposal.received_at)).all():
        if proposal.pushed_at is None:
            send(proposal.envelope, f"proposal {proposal.id}")
            proposal.pushed_at = clock(None)
            session.add(proposal)
            session.commit()  # what the hub took stays marked sent if a later message fails
        for vote in votes_of(session, proposal.id, ACCEPTED):
            if vote.pushed_at is None:
                send(vote.envelope, f"vote {vote.vote_id} of {vote.voter}")
                vote.pushed_at = clock(None)
                session.add(vote)
                session.commit()
    return lines
