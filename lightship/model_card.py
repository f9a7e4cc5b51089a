"""``model_card.json``: what a person writes about a model (intended use, limitations, owner).

It lies next to the training data (``lightship train`` uploads the one beside a local data file to
``s3://<data bucket>/<training prefix>/<dataset>/model_card.json``; one inside the data prefix itself is
read too). Training checks it before uploading anything (:mod:`lightship.training.workflow`); the
checklist reads it for the version's model card page (:mod:`lightship.checklist.card`). What is
missing stays None, never filled in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lightship.errors import LightshipError
from lightship.s3uri import S3Uri, is_s3

CARD_FILE = "model_card.json"
FIELDS = ("intended_use", "limitations", "owner")


@dataclass(frozen=True)
class CardText:
    """What a person wrote about the model; None is missing."""

    intended_use: str | None = None
    limitations: str | None = None
    owner: str | None = None
    source: str | None = None  # where it was read from

    def as_dict(self) -> dict[str, str | None]:
        return {"intended_use": self.intended_use, "limitations": self.limitations, "owner": self.owner}

    def overridden(self, **options: str | None) -> CardText:
        """Options given on the command line replace the file's values."""
        given = {k: v for k, v in options.items() if v}
        if not given:
            return self
        source = " + ".join(s for s in (self.source, "command-line options") if s)
        return CardText(**{**self.as_dict(), **given, "source": source})


def parse_card(text: str | bytes, where: str) -> CardText:
    """A ``model_card.json``: an object with ``intended_use``, ``limitations`` and ``owner`` (strings or lists of strings)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LightshipError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise LightshipError(f"{where}: expected a JSON object with {', '.join(FIELDS)}")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise LightshipError(f"{where}: unknown field(s) {', '.join(unknown)}; the fields are {', '.join(FIELDS)}")
    values: dict[str, str | None] = {}
    for name in FIELDS:
        value = data.get(name)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "\n".join(value)
        if value is not None and not isinstance(value, str):
            raise LightshipError(f"{where}: {name} must be a string or a list of strings")
        values[name] = value.strip() if value and value.strip() else None
    return CardText(**values, source=where)


def card_locations(data_uri: str) -> list[S3Uri]:
    """Where a card for data at ``data_uri`` may be: inside the data prefix, then next to it."""
    data = S3Uri.parse(data_uri.rstrip("/"))
    parent = data.key.rsplit("/", 1)[0] if "/" in data.key else ""
    return [data.join(CARD_FILE), S3Uri(data.bucket, parent).join(CARD_FILE)]


def read_card(s3: Any, data_uri: str | None) -> CardText:
    """The first ``model_card.json`` found next to the version's training data, or an empty card."""
    if not data_uri or not is_s3(data_uri):  # e.g. a version registered without S3 lineage
        return CardText()
    for uri in card_locations(data_uri):
        try:
            body = s3.get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            continue
        return parse_card(body, str(uri))
    return CardText()
