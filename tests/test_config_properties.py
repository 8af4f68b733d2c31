"""Every config a user can type, drawn by hypothesis: an invalid one is refused before training with an error
naming the field; a valid one trains a step. The same rules hold for the CLI's and the URL's `field=value`
strings and for a config.json read back from disk."""

from __future__ import annotations

import functools
import math
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer import ConfigError, TrainConfig, Trainer, load_dataset
from explorer.game.config import POINTS, TOYS, field_info

FIELDS = {f.name: field_info(f.name) for f in fields(TrainConfig)}
# The checks that look at two fields at once name one of these; every other error names the field drawn bad.
COMBINATION_FIELDS = {"model", "image_size", "momentum_ramp_steps", "lr_min", "batch_size"}
OFFLINE_DATASETS = (*TOYS, "digits8x8", "mnist_subset")  # TOYS includes your own points: a CSV made below


def valid_value(name: str) -> st.SearchStrategy:
    info = FIELDS[name]
    if info["choices"]:
        return st.sampled_from(info["choices"])
    if info["type"] == "bool":
        return st.booleans()
    if info["type"] == "int":
        return st.integers(int(info["lo"]), int(info["hi"]))
    if info["type"] == "float":
        return st.floats(info["lo"], info["hi"], allow_nan=False)
    return st.text(max_size=20)  # data_root: any path is a valid setting (a missing one fails at load time)


def invalid_value(name: str) -> st.SearchStrategy:
    info = FIELDS[name]
    wrong_type = st.one_of(st.none(), st.lists(st.integers(), max_size=2))
    if info["choices"]:
        return st.one_of(wrong_type, st.integers(), st.text(max_size=12).filter(lambda s: s not in info["choices"]))
    if info["type"] == "bool":
        return st.one_of(wrong_type, st.integers(), st.text(max_size=5))
    if info["type"] == "str":
        return st.one_of(wrong_type, st.integers(), st.floats())
    lo, hi = info["lo"], info["hi"]
    if info["type"] == "int":
        out_of_range = st.one_of(st.integers(max_value=int(lo) - 1), st.integers(min_value=int(hi) + 1))
        return st.one_of(wrong_type, out_of_range, st.floats(), st.booleans(), st.text(max_size=5))
    out_of_range = st.one_of(st.floats(max_value=lo, exclude_max=True), st.floats(min_value=hi, exclude_min=True))
    return st.one_of(wrong_type, out_of_range, st.sampled_from([math.nan, math.inf, -math.inf]), st.text(max_size=5))


valid_configs = st.fixed_dictionaries({name: valid_value(name) for name in FIELDS})


@st.composite
def configs_with_bad_fields(draw) -> tuple[dict, set[str]]:
    values = draw(valid_configs)
    bad = draw(st.sets(st.sampled_from(sorted(FIELDS)), min_size=1, max_size=3))
    for name in bad:
        values[name] = draw(invalid_value(name))
    return values, bad


@settings(max_examples=400, deadline=None)
@given(configs_with_bad_fields())
def test_an_invalid_field_is_refused_with_its_name_its_value_and_what_is_allowed(drawn):
    values, bad = drawn
    with pytest.raises(ConfigError) as e:
        TrainConfig(**values)
    assert e.value.field_name in bad
    assert str(e.value).startswith(f"{e.value.field_name}=") and "is not allowed: " in str(e.value)


@settings(max_examples=300, deadline=None)
@given(valid_configs)
def test_fields_that_are_each_valid_make_a_config_or_a_combination_error(values):
    try:
        cfg = TrainConfig(**values)
    except ConfigError as e:
        assert e.field_name in COMBINATION_FIELDS
        return
    assert TrainConfig.from_json(cfg.to_json()) == cfg  # what run folders store reads back the same
    assert TrainConfig.from_query(cfg.to_query()) == (cfg, [])  # and a shared link opens the same experiment


BOOL_WORDS = {"1", "true", "yes", "on", "0", "false", "no", "off"}


def invalid_text(name: str) -> st.SearchStrategy:
    """What a user could type after `--set name=` or in a URL's `?name=` that the field must refuse."""
    info = FIELDS[name]
    if info["choices"]:
        return st.text(max_size=12).filter(lambda s: s.strip() not in info["choices"])
    if info["type"] == "bool":
        return st.text(max_size=6).filter(lambda s: s.strip().lower() not in BOOL_WORDS)
    words = st.sampled_from(["nan", "inf", "-inf", "", "abc", "1e", "0x10"])
    if info["type"] == "int":
        lo, hi = int(info["lo"]), int(info["hi"])
        numbers = st.one_of(st.integers(max_value=lo - 1), st.integers(min_value=hi + 1)).map(str)
        return st.one_of(words, numbers, st.sampled_from(["1.5", "2e3"]))
    lo, hi = info["lo"], info["hi"]
    numbers = st.one_of(st.floats(max_value=lo, exclude_max=True, allow_infinity=False),
                        st.floats(min_value=hi, exclude_min=True, allow_infinity=False)).map(repr)
    return st.one_of(words, numbers)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([n for n in FIELDS if n != "data_root"]).flatmap(
    lambda name: st.tuples(st.just(name), invalid_text(name))))
def test_a_bad_cli_or_url_assignment_names_the_field(drawn):
    name, raw = drawn
    with pytest.raises(ConfigError) as e:
        TrainConfig().with_overrides([f"{name}={raw}"])
    assert e.value.field_name == name and "is not allowed: " in str(e.value)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda k: k not in FIELDS), st.integers(),
                       min_size=1, max_size=3))
def test_an_unknown_field_in_a_stored_or_uploaded_config_is_named(extra):
    with pytest.raises(ConfigError) as e:
        TrainConfig.from_dict({**TrainConfig().to_dict(), **extra})
    assert e.value.field_name in extra


@functools.cache
def _dataset(name: str, image_size: int, model: str, data_root: str = ""):
    return load_dataset(TrainConfig(dataset=name, image_size=image_size, model=model, data_root=data_root))


@pytest.fixture(scope="module")
def points_csv(tmp_path_factory) -> dict[str, str]:
    """A CSV for each of the your-own-points data sets (more rows than the largest batch drawn)."""
    folder = tmp_path_factory.mktemp("points")
    rows = np.random.default_rng(0).normal(size=(300, 2))
    out = {}
    for name, dim in zip(POINTS, (1, 2), strict=True):
        out[name] = str(folder / f"{name}.csv")
        Path(out[name]).write_text("\n".join(",".join(map(str, row[:dim])) for row in rows))
    return out


@st.composite
def trainable_configs(draw) -> dict:
    """Valid configs on the offline data sets, drawn so most pass the combination checks too. Widths, batch
    and z are capped so the examples train within a minute on 2 cores (their full ranges are checked above)."""
    values = draw(valid_configs)
    dataset = draw(st.sampled_from(OFFLINE_DATASETS))
    family = draw(st.sampled_from(("auto", "toy") if dataset in TOYS else ("auto", "paper", "mlp", "dcgan")))
    # dcgan's widths are conv channels: a step of 244 channels on a batch of 200 took 7 s on 2 cores
    widest, largest_batch = (32, 16) if family == "dcgan" else (256, 256)
    values.update(dataset=dataset, model=family, device="cpu", data_root="",
                  g_hidden=draw(st.integers(0, widest)), d_hidden=draw(st.integers(0, widest)),
                  batch_size=draw(st.integers(1 if family in ("auto", "paper", "toy") else 2, largest_batch)),
                  z_dim=draw(st.integers(0, 64)),
                  image_size=draw(st.sampled_from([0, 32] if family == "dcgan" else [0, 8, 16, 28, 32])),
                  lr_min=draw(st.floats(0.0, min(values["lr_d"], values["lr_g"]))),
                  momentum_ramp_steps=draw(st.integers(1 if values["momentum_final"] >= 0 else 0, 10_000)))
    return values


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trainable_configs())
def test_every_valid_config_trains_a_step(points_csv, values):
    values = {**values, "data_root": points_csv.get(values["dataset"], "")}
    try:
        cfg = TrainConfig(**values)
    except ConfigError as e:  # 'auto' on images is 'mlp': batch norm needs a batch of two
        assert (e.field_name, values["model"], values["batch_size"]) == ("batch_size", "auto", 1)
        return
    # The data set as load_dataset gives it for this config ('dcgan' resizes images to 32x32).
    trainer = Trainer(cfg, _dataset(cfg.dataset, cfg.image_size, "dcgan" if cfg.family == "dcgan" else "auto",
                                    cfg.data_root), "cpu")
    trainer.step()
    assert trainer.step_count == 1 and trainer.drain().shape == (1, 7)


def test_what_hypothesis_found_is_refused_before_training():
    """A combination that used to crash in the first step (found by the test above)."""
    with pytest.raises(ConfigError, match="batch_size=1 is not allowed: at least 2 for 'mlp'"):
        TrainConfig(dataset="mnist_subset", batch_size=1)
