"""The README documents every command option and every plan key the code accepts."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from pydantic import BaseModel

from followup.cli import cli
from followup.study.plan_schema import PlanModel

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _options() -> list[tuple[str, str]]:
    found = []
    for name, command in cli.commands.items():  # type: ignore[attr-defined]
        for parameter in command.params:
            if isinstance(parameter, click.Option) and parameter.name not in ("debug", "quiet"):
                found.append(
                    (
                        name,
                        parameter.opts[-1]
                        if parameter.opts[-1].startswith("--")
                        else parameter.opts[0],
                    )
                )
    return found


@pytest.mark.parametrize(("command", "option"), _options())
def test_every_option_is_in_the_readme(command: str, option: str) -> None:
    assert f"followup {command}" in README
    assert option in README


def _keys(model: type[BaseModel]) -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        keys.append(name)
        for inner in (field.annotation, *getattr(field.annotation, "__args__", ())):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                keys += _keys(inner)
    return keys


@pytest.mark.parametrize("key", sorted(set(_keys(PlanModel))))
def test_every_plan_key_is_in_the_readme(key: str) -> None:
    assert f"`{key}`" in README
