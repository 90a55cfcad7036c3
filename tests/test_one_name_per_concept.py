"""The public searches speak one language: names, order, defaults, shapes, attributes.

``model_path``, ``task_name``, ``n_trials``, ``scaling_factors``,
``task_settings``, ``seed`` and the run options mean the same thing, in the
same order and with the same defaults, in every public function that takes
them; ``trials_per_chunk`` is the deprecated name of ``trials_per_block``;
every search runs on threads by default; ``attrs["seed"]`` has one type.
"""

from __future__ import annotations

import inspect
import os
import warnings

import numpy as np
import pytest

import spikewidgets as sw
from spikewidgets import EdgeOfGridWarning
from spikewidgets.search import (
    evaluate_single_trial,
    lambda_grid_search,
    perturbation_search,
    search_models,
    simulate,
)

SHORT = {"T": 41, "stim_on": 5, "stim_dur": 10, "resp_start": 20}
SEARCHES = (lambda_grid_search, perturbation_search, search_models)
#: Arguments of a search that may be given by position, in their order.
COMMON_POSITIONAL = ("task_name", "n_trials", "scaling_factors", "task_settings")
#: Keyword arguments that every search shares (with lambda_grid_search's defaults).
COMMON_KEYWORDS = ("seed", "n_workers", "executor", "trials_per_block", "progress", "callback",
                   "stop", "downsample", "use_initial_weights", "optimum", "trials_per_chunk")


def _parameters(function) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(function).parameters)


def test_the_published_signatures_are_kept():
    search = list(_parameters(lambda_grid_search))
    assert search[:5] == ["model_path", "task_name", "n_trials", "scaling_factors",
                          "task_settings"]
    assert _parameters(lambda_grid_search)["task_settings"].default is None
    single = _parameters(evaluate_single_trial)
    assert list(single)[:4] == ["task_name", "model_path", "scaling_factor", "settings"]
    assert single["settings"].default is None
    assert inspect.signature(evaluate_single_trial).return_annotation in (int, "int")


@pytest.mark.parametrize("function", SEARCHES[1:], ids=lambda f: f.__name__)
def test_common_arguments_in_the_same_order_with_the_same_defaults(function):
    reference, other = _parameters(lambda_grid_search), _parameters(function)
    names = list(other)
    positions = [names.index(name) for name in COMMON_POSITIONAL]
    assert positions == sorted(positions), names
    for name in COMMON_POSITIONAL:
        assert other[name].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, name
    assert other["n_trials"].default is inspect.Parameter.empty  # required everywhere
    assert other["task_settings"].default is None
    keywords = [name for name in reference if name in COMMON_KEYWORDS]
    assert [name for name in names if name in COMMON_KEYWORDS] == keywords
    for name in COMMON_KEYWORDS:
        assert other[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert other[name].default == reference[name].default, name
    for name in set(reference) & set(other) - {"model_path", *COMMON_POSITIONAL}:
        assert other[name].default == reference[name].default, (function.__name__, name)


def test_lambda_grid_search_requires_what_the_others_require(write_model):
    # Its leading arguments default to None only because model_dir may replace model_path.
    with pytest.raises(ValueError, match="n_trials is missing"):
        lambda_grid_search(write_model(), "go_nogo", None, [30])


def test_a_perturbation_search_is_paired_by_construction():
    parameters = _parameters(perturbation_search)
    assert "paired" not in parameters and "adaptive" not in parameters
    assert "paired by construction" in " ".join(perturbation_search.__doc__.split())


@pytest.mark.parametrize("function", [simulate, *SEARCHES], ids=lambda f: f.__name__)
def test_task_and_settings_have_one_name(function):
    parameters = _parameters(function)
    assert "task_name" in parameters and "task_settings" in parameters
    assert "task" not in parameters and "settings" not in parameters
    assert parameters["seed"].default == 0


def test_simulate_stores_the_seed_as_the_searches_do(write_model):
    path = write_model(n_units=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeOfGridWarning)
        ds = lambda_grid_search(path, "go_nogo", 2, [2.0], SHORT, seed=5, save=False,
                                progress=False)
    sim = simulate(path, 2.0, "go_nogo", task_settings=SHORT, seed=5)
    assert sim.attrs["seed"] == ds.attrs["seed"] == 5
    assert type(sim.attrs["seed"]) is type(ds.attrs["seed"]) is int
    huge = simulate(path, 2.0, "go_nogo", task_settings=SHORT, seed=2**70)
    assert huge.attrs["seed"] == str(2**70)  # netCDF holds no integer that large
    with pytest.raises(TypeError, match="settings"):
        simulate(path, 2.0, "go_nogo", settings=SHORT)  # the old spelling is gone


@pytest.mark.parametrize("function", SEARCHES, ids=lambda f: f.__name__)
def test_trials_per_chunk_is_a_deprecated_alias(function, write_model):
    path = write_model(n_units=30)
    sw.write_search_results(path, 2.0, [1.0], [2.0])
    first = [path] if function is search_models else path
    extra = {"perturbations": ["ei_dec"]} if function is search_models else {}
    arguments = ((first, "go_nogo", ["ei_dec"], 4, [2.0], SHORT)
                 if function is perturbation_search else (first, "go_nogo", 4, [2.0], SHORT))
    options = dict(seed=1, progress=False, n_workers=1, **extra)
    if function is not perturbation_search:
        options["save"] = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeOfGridWarning)
        new = function(*arguments, trials_per_block=3, **options)
        with pytest.warns(DeprecationWarning, match="trials_per_chunk is deprecated; use "
                                                    "trials_per_block") as caught:
            old = function(*arguments, trials_per_chunk=3, **options)
    (deprecated,) = [w for w in caught if w.category is DeprecationWarning]
    assert deprecated.filename == __file__  # the warning names the caller's line
    np.testing.assert_array_equal(old.correct.values, new.correct.values)
    with pytest.raises(ValueError, match="trials_per_block is 2 and trials_per_chunk is 3"), \
            pytest.warns(DeprecationWarning):
        function(*arguments, trials_per_block=2, trials_per_chunk=3, **options)
    with pytest.raises(ValueError, match="trials_per_block is 0, expected a positive integer"):
        function(*arguments, trials_per_block=0, **options)


def test_the_panel_takes_the_deprecated_alias_too(write_model):
    pytest.importorskip("ipywidgets")
    from spikewidgets.panel import SearchPanel

    path = write_model()
    with pytest.warns(DeprecationWarning, match="use trials_per_block"):
        panel = SearchPanel(path, trials_per_chunk=3)
    try:
        assert panel.runner._options.trials_per_block == 3
    finally:
        panel.close()
    panel = SearchPanel(path)
    try:
        assert panel.runner._options.trials_per_block == 1  # the panel's own default
    finally:
        panel.close()


def test_one_model_and_many_run_on_threads_by_default(write_model, monkeypatch):
    import spikewidgets.search._blocks as blocks

    ran_in: list[int] = []
    score_block = blocks.score_block

    def recorded(plan, trials):
        ran_in.append(os.getpid())  # a process pool's workers would record elsewhere
        return score_block(plan, trials)

    monkeypatch.setattr(blocks, "score_block", recorded)
    paths = [write_model(f"m{k}.mat", n_units=30, seed=k) for k in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeOfGridWarning)
        lambda_grid_search(paths[0], "go_nogo", 2, [2.0], SHORT, save=False, progress=False)
        one = len(ran_in)
        search_models(paths, "go_nogo", 2, [2.0], SHORT, save=False, progress=False)
    assert one > 0 and len(ran_in) > one
    assert set(ran_in) == {os.getpid()}


def test_many_models_at_their_optima_keep_the_scaling_factor_dim(write_model):
    paths = [write_model(f"m{k}.mat", n_units=30, seed=k) for k in range(2)]
    for path in paths:
        sw.write_search_results(path, 2.0, [1.0], [2.0])
    kwargs = dict(perturbations=["ei_dec"], seed=1, progress=False, n_workers=1)
    at_optima = search_models(paths, "go_nogo", 2, None, SHORT, **kwargs)
    explicit = search_models(paths, "go_nogo", 2, [2.0], SHORT, **kwargs)
    assert dict(at_optima.sizes) == dict(explicit.sizes)
    for name, variable in explicit.data_vars.items():
        assert at_optima[name].dims == variable.dims, name
        np.testing.assert_array_equal(at_optima[name].values, variable.values)
    assert at_optima.model_scaling_factor.values.tolist() == [2.0, 2.0]
