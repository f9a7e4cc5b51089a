"""Fixtures for the infrastructure tests: the real app, synthesized once per session.

Synthesis costs seconds (jsii starts node, cdk-nag checks every resource), so the
``synthesized`` fixture builds the app through :func:`infra.app_builder.build_app`
exactly as ``app.py`` does, with cdk-nag on, and every test reads its templates.
Tests that need another configuration call :func:`synth` themselves.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# jsii prints a banner on Node 20 at import of aws_cdk; silence it before the import.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # the project is not pip-installed; import infra/ and lightship/ from the checkout
    sys.path.insert(0, str(REPO_ROOT))

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from infra.app_builder import build_app, cdk_json_context, enable_nag, settings_from_context  # noqa: E402
from lightship.settings import CONTEXT_KEY, Settings  # noqa: E402

# Variables that would change names or the environment under the tests' feet.
_AMBIENT = ("AWS_REGION", "AWS_DEFAULT_REGION", "CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION", "CDK_OUTDIR")


@dataclass
class Synthesized:
    """One synthesized app: its settings, stacks by concern, output folder and templates."""

    app: cdk.App
    settings: Settings
    stacks: dict[str, cdk.Stack]
    outdir: Path
    templates: dict[str, Template]


def synth(
    outdir: Path,
    *,
    lightship: dict[str, Any] | str | None = None,
    env: cdk.Environment | None = None,
    nag: bool = True,
) -> Synthesized:
    """Build and synthesize the app like ``app.py`` does, with ``lightship`` replacing cdk.json's settings.

    Raises RuntimeError (ValidationFailed) when cdk-nag has unacknowledged findings.
    """
    context = cdk_json_context()
    if lightship is not None:
        context[CONTEXT_KEY] = lightship
    # No bundling: later stacks with Lambda assets would otherwise run pip on every synth.
    context["aws:cdk:bundling-stacks"] = []
    with pytest.MonkeyPatch.context() as patch:
        for name in [*_AMBIENT, *(n for n in os.environ if n.startswith("LIGHTSHIP_"))]:
            patch.delenv(name, raising=False)
        app = cdk.App(context=context, outdir=str(outdir))
        settings = settings_from_context(app.node.try_get_context(CONTEXT_KEY))
        if nag:
            enable_nag(app)
        stacks = build_app(app, settings, env=env)
        app.synth()
    templates = {name: Template.from_stack(stack) for name, stack in stacks.items()}
    return Synthesized(app=app, settings=settings, stacks=stacks, outdir=outdir, templates=templates)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    """The app as cdk.json configures it, environment-agnostic, cdk-nag on."""
    yield synth(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def storage(synthesized: Synthesized) -> Template:
    return synthesized.templates["storage"]


@pytest.fixture(scope="session")
def registry(synthesized: Synthesized) -> Template:
    return synthesized.templates["registry"]


@pytest.fixture(scope="session")
def synth_app() -> Any:
    """:func:`synth` itself, for tests that build another configuration (import from conftest is unsafe
    when several test folders each have one)."""
    return synth
