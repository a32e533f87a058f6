"""The core never loads Textual or Rich; non-UI commands start without them."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "agentdash.config",
    "agentdash.store",
    "agentdash.engine.engine",
    "agentdash.providers.registry",
    "agentdash.providers.anthropic",
    "agentdash.commands.jobs",
    "agentdash.commands.daemon",
    "agentdash.cli",
]


def loaded_after_import(modules: list[str]) -> set[str]:
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules)
    code += "print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_core_does_not_import_textual_or_rich() -> None:
    loaded = loaded_after_import(CORE)
    assert not {m for m in loaded if m.split(".")[0] in {"textual", "rich"}}


def test_listing_jobs_loads_no_sdk() -> None:
    loaded = loaded_after_import(["agentdash.cli", "agentdash.commands.jobs"])
    assert not {m for m in loaded if m.split(".")[0] in {"anthropic", "textual", "mcp"}}
