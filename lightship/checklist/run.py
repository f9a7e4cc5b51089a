"""``lightship checklist``: gather the evidence, answer, write the model card, record its address.

The card is written from the other answers, then the card's own question is answered from what was
written (its address on the version, its intended use and limitations), so it is the last row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lightship.checklist.answers import Answer, answer_all, card_answer, exit_code
from lightship.checklist.card import render_card, write_card
from lightship.checklist.evidence import MODEL_CARD_METADATA_KEY, Clients, gather, registry_of, resolve_version
from lightship.model_card import CardText, read_card
from lightship.registry.lineage import now_iso
from lightship.resources import Resources
from lightship.settings import Settings


@dataclass(frozen=True)
class ChecklistResult:
    version: int
    answers: list[Answer]
    card_uri: str

    @property
    def exit_code(self) -> int:
        return exit_code(self.answers)


def run_checklist(settings: Settings, resources: Resources, clients: Clients, version: int | None,
                  card_file: CardText | None = None, **card_options: str | None) -> ChecklistResult:
    number = resolve_version(settings, resources, clients, version)
    evidence = gather(settings, resources, clients, number)
    text = card_file if card_file is not None else read_card(clients.s3, evidence.version.lineage.get("data", {}).get("uri"))
    text = text.overridden(**card_options)
    answers = answer_all(evidence)
    uri = write_card(clients.s3, resources.artifact_bucket, number, render_card(evidence.version, answers, text, now_iso()))
    registry_of(settings, resources, clients).set_metadata(number, {MODEL_CARD_METADATA_KEY: str(uri)})
    carded = replace(evidence, version=replace(evidence.version, model_card_uri=str(uri)), card=text.as_dict(), card_source=text.source)
    return ChecklistResult(version=number, answers=[*answers, card_answer(carded)], card_uri=str(uri))
