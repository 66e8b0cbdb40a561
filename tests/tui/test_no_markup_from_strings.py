"""A structural guard: no Textual markup is built from strings in src/askdesk/tui.

Textual parses a plain ``str`` handed to a widget as markup, so ``Label(f"Resolve
{key}")`` turns ``[@click=app.quit]`` in a key into an action and ``[/b]`` into a
crash. Widgets get ``inert_text(...)`` (a Rich ``Text``) or a string literal;
notifications go through ``AskdeskApp.notify``, which never parses markup.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import askdesk.tui
from askdesk.tui.app import AskdeskApp

TUI = Path(askdesk.tui.__file__).parent

SINKS = {"Label", "Static", "Button", "Option", "Link", "update"}
"""Calls whose first argument Textual shows as markup when it is a ``str``."""

ATTRIBUTES = {"title", "sub_title", "tooltip", "border_title", "border_subtitle", "label"}
"""Attributes Textual shows as markup when a ``str`` is assigned to them."""


def _built_string(node: ast.expr) -> bool:
    """Whether ``node`` builds a string at run time: f-string, ``+``, ``%`` or ``.format``."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return any(
            isinstance(side, ast.JoinedStr)
            or (isinstance(side, ast.Constant) and isinstance(side.value, str))
            or _built_string(side)
            for side in (node.left, node.right)
        )
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def markup_from_strings(source: str) -> list[tuple[int, str]]:
    """(line, what) for each place in ``source`` where markup could be built from a string."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in SINKS and node.args and _built_string(node.args[0]):
                found.append((node.lineno, f"{name}() of a built string"))
            if name == "from_markup":
                found.append((node.lineno, "markup parsed"))
            for keyword in node.keywords:
                if keyword.arg == "markup" and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                ):
                    found.append((node.lineno, "markup= other than False"))
                if keyword.arg in ATTRIBUTES and _built_string(keyword.value):
                    found.append((node.lineno, f"{keyword.arg}= a built string"))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr in ATTRIBUTES
                    and _built_string(node.value)
                ):
                    found.append((node.lineno, f".{target.attr} = a built string"))
    return found


@pytest.mark.parametrize(
    "path", sorted(TUI.rglob("*.py")), ids=lambda p: str(p.relative_to(TUI.parent))
)
def test_no_widget_gets_markup_built_from_a_string(path: Path) -> None:
    found = markup_from_strings(path.read_text(encoding="utf-8"))
    assert not found, "\n".join(f"{path.name}:{line}: {what}" for line, what in found)


@pytest.mark.parametrize(
    "source",
    [
        'Label(f"Resolve {key}")',
        'self.query_one(Static).update("Hand " + key)',
        'Static("{} is gone".format(key))',
        'Label("%s" % key)',
        "Content.from_markup(text)",
        "Label(text, markup=True)",
        'self.sub_title = f"{key}"',
        'Binding("x", "y", tooltip=f"{name}")',
    ],
)
def test_the_guard_sees_each_way_of_building_markup(source: str) -> None:
    assert markup_from_strings(source)


def test_the_guard_lets_inert_text_and_literals_through() -> None:
    source = 'Label(inert_text(f"Resolve {key}"))\nStatic("Counting…")\nStatic(text)'
    assert markup_from_strings(source) == []


def test_every_notification_goes_through_the_apps_inert_notify() -> None:
    """Screens' ``notify`` calls the app's, so one override covers all of them."""
    assert AskdeskApp.notify.__qualname__ == "AskdeskApp.notify"
