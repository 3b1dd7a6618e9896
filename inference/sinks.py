"""Usage sinks: where metered requests go. Each domain that takes usage records registers a function
``sink(session, records, *, received_at)`` under the entry-point group ``sahara_dao.usage_sinks``
(token registers its intake); inference never imports it."""

from importlib.metadata import entry_points

from sahara_dao.inference.errors import InferenceError

SINKS_GROUP = "sahara_dao.usage_sinks"


def load_usage_sinks() -> list:
    sinks = [entry.load() for entry in sorted(entry_points(group=SINKS_GROUP), key=lambda e: e.name)]
    if not sinks:
        raise InferenceError(
            f"no usage sink is registered under {SINKS_GROUP}: install sahara-dao (pip install -e .) so that "
            "usage can be metered"
        )
    return sinks
