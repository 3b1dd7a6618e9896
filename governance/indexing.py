"""The governance contracts for the chain indexer (projector ``governance`` of
``sahara_dao.projectors``): their events (ProposalCreated, VoteCast, CallScheduled, ...) are stored
in ``chain_event``; no table is derived from them yet."""

from sahara_dao.core.indexer import Projector

projector = Projector(contracts={"timelock": "SaharaTimelock", "governor": "SaharaGovernor"})
