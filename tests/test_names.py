"""explorer.names is the one place that names codes for people: every code a person can meet has a label of its own
(not the code, no underscore), and the helpers the pages use read a table's columns and cells as people write them."""

from __future__ import annotations

from dataclasses import fields

import pytest

from explorer import names
from explorer.game.config import TrainConfig
from explorer.game.trainer import METRICS as TRAINER_COLUMNS
from explorer.metrics.protocol import METRICS
from explorer.runs.catalog import DISK_STATES
from explorer.runs.state import RunState
from explorer.sweeps.sweep_folder import STATES as TRIAL_STATES

CHOICE_FIELDS = [f for f in fields(TrainConfig) if f.metadata.get("choices")]
EVAL_COLUMNS = ("frechet_distance", "classifier_score", "classes_covered", "kl_to_uniform", "modes_covered",
                "high_quality_fraction")


def _pairs():
    for f in CHOICE_FIELDS:
        for code in f.metadata["choices"]:
            yield names.FIELD_KINDS.get(f.name), code, f.name
    for code in (*RunState, *DISK_STATES, *TRIAL_STATES):
        yield "state", code, "state"
    for code in (*METRICS, *EVAL_COLUMNS, *TRAINER_COLUMNS):
        yield "metric", code, "metric"


def test_every_choice_field_of_trainconfig_has_a_kind():
    assert CHOICE_FIELDS, "TrainConfig has no choice fields?"
    missing = [f.name for f in CHOICE_FIELDS if f.name not in names.FIELD_KINDS]
    assert not missing, f"choice fields without a kind in names.FIELD_KINDS: {missing}"


@pytest.mark.parametrize("kind, code, where", list(_pairs()), ids=lambda v: str(v))
def test_every_code_has_a_label_that_is_not_the_code(kind, code, where):
    table = names._BY_KIND[kind]
    assert code in table, f"{where} code {code!r} has no entry in names ({kind})"
    text = names.label(kind, code)
    assert text and "_" not in text, f"{where} code {code!r} reads {text!r}"
    if not (kind == "state" and code in names.PLAIN_STATES):  # "paused" is the word a person would write
        assert text != code, f"{where} code {code!r} reads as itself"


def test_codes_with_an_underscore_never_read_raw():
    for kind in names.kinds():
        for code, text in names._BY_KIND[kind].items():
            assert "_" not in text, f"{kind} {code!r} reads {text!r}"


def test_an_unknown_code_reads_without_underscores_and_an_unknown_kind_fails():
    assert names.label("dataset", "my_new_set") == "my new set"
    with pytest.raises(KeyError):
        names.label("no such kind", "x")


def test_the_comparison_table_columns_and_cells_read_as_words():
    assert names.metric_column_label("fid.frechet_distance") == "Frechet distance"
    assert names.metric_column_label("parzen.mean") == "Parzen log-likelihood"
    assert names.metric_column_label("G") == "G's weights"
    assert names.metric_column_label("coverage.classes_covered") == "classes covered"
    assert "_" not in names.metric_column_label("modes.per_mode_thing")
    assert names.cell_label("loss", "non_saturating") == "non-saturating"
    assert names.cell_label("dataset", "mnist_subset") == names.DATASET_LABELS["mnist_subset"]
    assert names.cell_label("steps", 4000) == 4000 and names.cell_label("name", "run_1") == "run_1"


def test_a_step_reads_with_thousands_separators():
    assert names.step_label(4000) == "step 4,000" and names.step_label(0) == "step 0"


def test_metric_titles_say_which_way_is_better():
    assert "lower is better" in names.metric_title("frechet_distance")
    assert names.metric_title("js") == names.label("metric", "js")
