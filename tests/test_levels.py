"""Every task's level table is named: levels 1..5, each entry one NamedTuple type whose fields say
what the numbers are (code still unpacks them as tuples), and no level outside 1..5 is accepted."""

import pytest

from generators import registry


def _tasks():
    return registry.all_tasks()


@pytest.mark.parametrize("task", _tasks(), ids=lambda t: t.name)
def test_level_table_is_named(task):
    assert sorted(task.levels) == [1, 2, 3, 4, 5]
    kinds = {type(entry) for entry in task.levels.values()}
    assert len(kinds) == 1, f"{task.name}: mixed entry types {kinds}"
    for level, entry in task.levels.items():
        assert isinstance(entry, tuple) and hasattr(entry, "_fields"), f"{task.name} L{level}: not a NamedTuple"
        fields = entry._fields
        assert fields, f"{task.name} L{level}: no fields"
        # namedtuple(..., rename=True) turns bad names into _0, _1, ...: every field must be named
        assert all(f.isidentifier() and not f.startswith("_") for f in fields), fields
        assert task.params(level) is entry


@pytest.mark.parametrize("task", _tasks(), ids=lambda t: t.name)
def test_levels_outside_the_table_are_refused(task):
    for level in (0, 6):
        with pytest.raises(ValueError):
            task.params(level)


ENDPOINT = {"base_url": "http://127.0.0.1:9/v1", "model": "m"}


def _configs():
    """Every config that takes a level list, with the fields it needs besides `levels`."""
    from pipelines.benchmark import BenchmarkConfig
    from pipelines.build import BuildConfig
    from pipelines.evaluate import EvalConfig as BenchmarkEvalConfig
    from serg.pipeline import SergConfig
    from training.config import DataConfig
    from training.config import EvalConfig as TrainEvalConfig

    return [(BuildConfig, {}), (BenchmarkConfig, {}), (BenchmarkEvalConfig, {"endpoint": ENDPOINT}),
            (SergConfig, {"endpoint": ENDPOINT}), (DataConfig, {}), (TrainEvalConfig, {})]


@pytest.mark.parametrize("config,fields", _configs(), ids=lambda c: f"{c.__module__}.{c.__name__}" if isinstance(c, type) else "")
def test_every_config_checks_its_levels(config, fields):
    assert set(config(**fields, levels=[2, 1]).levels) == {1, 2}
    for bad in ([6], [0, 1], [1, -3]):
        with pytest.raises(ValueError, match="levels must be within 1..5"):
            config(**fields, levels=bad)
