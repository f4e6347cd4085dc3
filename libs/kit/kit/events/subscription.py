"""What a worker consumes: a queue, its handlers, its bindings and who may publish onto it."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from kit.events.consumer import Handler


@dataclass
class Subscription:
    queue: str
    handlers: Mapping[str, Handler]
    bindings: Sequence[str] | None = None
    #: The services allowed to publish onto this queue (checked against the broker account
    #: that published each message); None: any service of the platform.
    senders: Collection[str] | None = None

    @property
    def routing_keys(self) -> list[str]:
        return list(self.bindings) if self.bindings is not None else list(self.handlers)
