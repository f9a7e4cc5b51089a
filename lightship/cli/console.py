"""The CLI's shared pieces: the console, the AWS context a command works in, and a progress line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:  # loaded when a command asks for its AWS context: ``local up`` checks its port before boto3 loads
    from lightship.resources import Resources
    from lightship.settings import Settings

# log_path=False: a progress line keeps its time but not the source location of the call that logged it.
console = Console(highlight=False, log_path=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # an error stays one line


@dataclass
class AwsContext:
    settings: Settings
    resources: Resources

    def client(self, service: str) -> Any:
        from lightship.clients import client

        return client(service)


def aws_context(settings: Settings | None = None) -> AwsContext:
    """Settings and resource names for the account ``AWS_ENDPOINT_URL`` and the credentials point at."""
    from lightship.resources import current_resources
    from lightship.settings import load_settings

    resolved = settings or load_settings()
    return AwsContext(settings=resolved, resources=current_resources(resolved))


@contextmanager
def progress_line(title: str) -> Iterator[Any]:
    """A spinner with a status line; yields ``update(text)``; each update is also kept as a log line."""
    with console.status(title) as status:

        def update(text: str) -> None:
            status.update(text)
            console.log(text)

        yield update
