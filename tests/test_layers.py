"""Everything outside tui/ imports without Textual (STYLE.md), and nothing imports upward."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "module",
    [
        "askdesk.model",
        "askdesk.store",
        "askdesk.channels",
        "askdesk.channels.registry",
        "askdesk.desk",
        "askdesk.desk.sync",
        "askdesk.config",
        "askdesk.cli",
    ],
)
def test_non_ui_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", f"{module} pulls in textual"


def test_no_upward_imports() -> None:
    tool = ROOT.parent / "shared" / "tools" / "layers.py"
    if not tool.exists():
        pytest.skip("shared/tools/layers.py is not beside this checkout")
    result = subprocess.run(
        [sys.executable, str(tool), str(ROOT / "src" / "askdesk")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
