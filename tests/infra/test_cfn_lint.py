"""cfn-lint over every template the app synthesizes: zero findings (W3005 aside, see docs/infra.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

# The cfn-lint installed beside this interpreter (requirements.txt pins it), not whatever is on PATH.
CFN_LINT = Path(sys.executable).parent / "cfn-lint"


def test_cfn_lint_finds_nothing_in_the_synthesized_templates(synthesized: Any) -> None:
    templates = sorted(synthesized.outdir.glob("*.template.json"))
    # One template per stack the builder composes (storage, registry, and the capabilities' stacks).
    assert {t.name for t in templates} == {f"{s.stack_name}.template.json" for s in synthesized.stacks.values()}
    assert {"lightship-storage.template.json", "lightship-registry.template.json"} <= {t.name for t in templates}
    # W3005 ("dependency already enforced") is CDK's redundant DependsOn, harmless and not ours to fix.
    result = subprocess.run(
        [str(CFN_LINT), "--ignore-checks", "W3005", "--", *map(str, templates)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"cfn-lint findings:\n{result.stdout}{result.stderr}"
    assert result.stdout.strip() == ""
