"""The layer rule of DESIGN.md, as the import-linter contracts in pyproject.toml say it.

Imports point down only (model < config < store/channels < desk < tui < the
``cli*`` modules, with ``errors`` and ``clock`` at the bottom), every module
is ranked, and everything outside tui/ imports without Textual.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "askdesk"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(source: Path) -> subprocess.CompletedProcess[str]:
    """The project's contracts checked against the ``askdesk`` package under ``source``."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=source,
    )


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
    # At run time too: the cli imports tui only inside the function that starts the app.
    code = f"import sys, {module}; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", f"{module} pulls in textual"


def test_the_import_contracts_are_kept() -> None:
    result = lint_imports(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_every_module_has_a_layer() -> None:
    """A new top-level module must be ranked, or the contracts would not look at it."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [
        contract["layers"]
        for contract in settings["tool"]["importlinter"]["contracts"]
        if contract["type"] == "layers"
    ]
    ranked = {
        name.strip().removeprefix("askdesk.")
        for layer in layers
        for name in layer.replace("|", ":").split(":")
    }
    modules = {
        path.stem
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").is_file())
        and path.stem not in ("__init__", "__main__")
    }
    assert modules - ranked == set()
    assert ranked - modules == set(), "a layer names a module that does not exist"


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """The contracts can fail: config importing desk (the old loop) is reported by name."""
    shutil.copytree(PACKAGE, tmp_path / "askdesk", ignore=shutil.ignore_patterns("__pycache__"))
    with open(tmp_path / "askdesk" / "config.py", "a", encoding="utf-8") as config:
        config.write("\nfrom askdesk.desk import templates as _templates\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "askdesk.config is not allowed to import askdesk.desk" in result.stdout
