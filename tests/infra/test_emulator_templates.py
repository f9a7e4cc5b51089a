"""The templates the emulator provisions from are the app's: ``infra.synth_templates`` builds the
app as ``app.py`` does (without cdk-nag and asset bundling, which change no template), so every
stack's template equals the one the infra tests check, tag for tag."""

from __future__ import annotations

from typing import Any

from infra.synth_templates import synthesize


def test_the_emulators_templates_are_the_apps(synthesized: Any) -> None:
    emulator = synthesize(synthesized.settings.model_dump_json())["templates"]
    assert set(emulator) == set(synthesized.templates)
    for concern, template in synthesized.templates.items():
        app = template.to_json()
        assert emulator[concern]["Resources"] == app["Resources"], concern
        assert emulator[concern].get("Outputs") == app.get("Outputs"), concern
