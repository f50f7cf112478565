"""The command line's structure: one schema for options and config.json, one trainer, one task
per model. A new setting is one row of ``cli._config.SETTINGS``; a new model one Task subclass."""

from __future__ import annotations

import inspect

import pytest

from minitorch.cli._common import CLIError
from minitorch.cli._config import (
    ALL_MODELS,
    SETTINGS,
    SettingsError,
    check_config,
    defaults,
)
from minitorch.cli._options import build_parser, parse
from minitorch.cli._rules import Choice, Exactly, Flag, ListOf, Number, Text
from minitorch.cli._train import TASKS, new_config
from minitorch.cli._trainer import Task


def _config(argv: list[str]) -> dict:
    arguments = ["train", *argv]
    return new_config(parse(build_parser(), arguments), arguments)


def _get(config: dict, key: str):
    for part in key.split("."):
        config = config[part]
    return config


def _set(config: dict, key: str, value) -> None:
    *parents, last = key.split(".")
    for part in parents:
        config = config[part]
    config[last] = value


# ====================================================================== one schema
def test_every_option_of_train_is_a_setting_of_the_schema():
    train = build_parser().subcommands["train"]
    options = {option for action in train._actions for option in action.option_strings}
    declared = {s.option for s in SETTINGS if s.group is not None}
    declared |= {s.short for s in SETTINGS if s.short and s.group is not None}
    assert options == declared | {"-h", "--help"}


def test_every_setting_is_declared_once_with_what_it_needs():
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names))
    for setting in SETTINGS:
        assert set(setting.models) <= set(ALL_MODELS), setting.name
        if setting.group is not None:
            assert setting.help, setting.name
        if setting.key is not None:
            assert setting.rule is not None or setting.config_rules, setting.name


#: Options that put a setting's key into config.json (the default run's data set takes none).
_NEEDS = {
    "data_root": ["--dataset", "mnist"],
    "samples": ["--dataset", "spiral"],
    "noise": ["--dataset", "spiral"],
    "classes": ["--dataset", "spiral"],
    "momentum": ["--optimizer", "sgd"],
    "step_size": ["--scheduler", "step"],
    "gamma": ["--scheduler", "step"],
    "milestones": ["--scheduler", "multistep"],
}


def _rows():
    for setting in SETTINGS:
        for model in ALL_MODELS:
            holds, rule = setting.rule_in_config(model)
            if holds and rule is not None and setting.name != "model":
                yield pytest.param(setting, model, rule, id=f"{setting.name}-{model}")


@pytest.mark.parametrize(("setting", "model", "rule"), list(_rows()))
def test_config_json_is_checked_by_the_rule_the_schema_declares(setting, model, rule):
    argv = ["--model", model, *(_NEEDS.get(setting.name, []) if model != "gpt" else [])]
    config = _config(argv)
    check_config(config, "config.json")  # what train writes passes
    default = setting.default_for(model)
    if default is not None and setting.name != "data_root":  # a new run gets the default
        assert _get(config, setting.key_for(model)) == default
    wrong = 5 if isinstance(rule, (Text, Choice, Exactly)) else "5x"
    if isinstance(rule, (Flag, ListOf)):
        wrong = "5x"
    key = setting.key_for(model)  # an lstm's settings are in its "recipe"
    _set(config, key, wrong)
    with pytest.raises(SettingsError, match=rf'^config\.json: "{key}" must be '):
        check_config(config, "config.json")


def test_the_defaults_of_each_model_are_the_schemas():
    assert defaults("mlp")["hidden"] == [256, 128] and defaults("cnn")["hidden"] == [120]
    assert defaults("gpt")["batch_size"] == 12 and defaults("mlp")["batch_size"] == 32
    assert "channels" not in defaults("mlp") and "iters" not in defaults("mlp")
    assert "epochs" not in defaults("gpt") and defaults("gpt")["optimizer"] == "adamw"


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.group and s.models != ALL_MODELS],
                         ids=lambda s: s.name)  # fmt: skip
def test_an_option_of_other_models_is_refused_by_every_model_it_does_not_apply_to(setting):
    one = "0.5" if isinstance(setting.rule, Number) and setting.rule.high == 1 else "3"
    value = [] if setting.flag else [one] * (setting.nargs if setting.nargs == 2 else 1)
    if setting.name in ("activation", "optimizer", "scheduler", "bptt"):
        value = [setting.default_for(setting.models[0])]
    for model in set(ALL_MODELS) - set(setting.models):
        arguments = ["train", "--model", model, setting.option, *value]
        with pytest.raises(CLIError, match=rf"^{setting.option} (applies|does not apply) to"):
            new_config(parse(build_parser(), arguments), arguments)


# ====================================================================== one trainer
def _unwritten(cls: type) -> list[str]:
    """The Task methods ``cls`` leaves as Task's ``raise NotImplementedError``."""
    missing = []
    for name, member in vars(Task).items():
        function = member.fget if isinstance(member, property) else member
        function = getattr(function, "__func__", function)
        if not callable(function) or "raise NotImplementedError" not in inspect.getsource(
            function
        ):
            continue
        if inspect.getattr_static(cls, name) is member:  # inherited from Task as it is
            missing.append(name)
    return missing


@pytest.mark.parametrize("model", list(TASKS))
def test_each_models_task_writes_the_whole_protocol(model):
    task = TASKS[model]
    assert issubclass(task, Task) and _unwritten(task) == []
    assert task.length in {s.name for s in SETTINGS if s.resume}


def test_the_protocol_check_sees_a_missing_method():
    class Half(Task):
        length = "epochs"

        def header(self):
            return []

    assert "header" not in _unwritten(Half) and "train_unit" in _unwritten(Half)


def test_every_model_of_the_command_line_has_a_task():
    assert set(TASKS) == set(ALL_MODELS)
