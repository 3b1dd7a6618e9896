"""The governance contracts for the chain indexer (projector ``governance`` of
``sahara_dao.projectors``): their events (ProposalCreated, VoteCast, CallScheduled, ...) are stored
in ``chain_event``; no table is derived from them yet. Multicall3 (the vote relay's batcher) emits no
event of its own: it is listed so that every contract of a deployment record has a type."""

from sahara_dao.core.indexer import Projector

projector = Projector(
    contracts={"timelock": "SaharaTimelock", "governor": "SaharaGovernor", "multicall3": "Multicall3"}
)
