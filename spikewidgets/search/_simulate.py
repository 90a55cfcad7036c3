"""One trial of the spiking network, with everything recorded, as an xarray Dataset."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import xarray as xr

from spikewidgets.io._labels import variable_attrs
from spikewidgets.io._modelfile import RateModel, load_model
from spikewidgets.io._validation import parse_scaling_factors
from spikewidgets.perturbations._presets import as_perturbation
from spikewidgets.search._plan import SearchPlan, perturbed_variants
from spikewidgets.search._plan_options import PlanOptions
from spikewidgets.search._rate_comparison import compare_trial, rate_network_trial
from spikewidgets.sim._kernel import LIFNetwork, LIFResult, Stimulation, run_lif
from spikewidgets.sim._kernel.network import rate_sample_interval
from spikewidgets.sim._seeding import (
    entropy_from_seed,
    seed_attr,
    stimulation_generator,
    trial_generator,
)
from spikewidgets.sim.constants import RATE_STEP
from spikewidgets.tasks import Task, Trial

__all__ = ["simulate"]


def simulate(
    model: str | os.PathLike | RateModel,
    scaling_factor: float,
    task_name: str | Task | None = None,
    *,
    u: np.ndarray | None = None,
    task_settings: Mapping[str, object] | None = None,
    seed: int | None = 0,
    trial: int = 0,
    record_voltages: bool = False,
    record_rates: bool = False,
    stimulation: Stimulation | None = None,
    perturbation: object | None = None,
    downsample: int = 1,
    use_initial_weights: bool = False,
    compare_rate: bool = False,
) -> xr.Dataset:
    """Simulate one trial of the LIF network and return what it did.

    With ``task_name``, the input is trial ``trial`` of a search run with the
    same ``seed`` (same stimulus, same noise), and the trial is scored: with
    the default seed 0 of both, ``simulate(path, factor, task_name, trial=t)``
    replays trial ``t`` of a default search. With ``u``, the given input is
    used instead and no score is computed.

    Parameters
    ----------
    model : path-like or RateModel
        Trained rate model, or its ``.mat`` file.
    scaling_factor : float
        Positive factor dividing the recurrent and readout weights.
    task_name : str or Task, optional
        Task that makes the input (exclusive with ``u``).
    u : ndarray, shape (n_inputs, n_columns), optional
        Explicit input, one column per 5 ms rate step.
    task_settings : mapping, optional
        Task settings overriding the defaults.
    seed : int or None, default 0
        Seed of the trial's random draws, as the ``seed`` of
        :func:`~spikewidgets.search.lambda_grid_search` (whose default is 0
        too). None draws a random seed, stored in ``attrs["seed"]`` (an int,
        as a search's; a string above 2**63 - 1, which netCDF cannot hold).
    trial : int, default 0
        Which trial of the seeded sequence to simulate.
    record_voltages, record_rates : bool, default False
        Also return membrane voltages and filtered spike trains (unit x time).
    stimulation : Stimulation, optional
        Artificial stimulation of some units (coin flips drawn from the
        trial's generator after the initial voltages, as in the original).
    perturbation : Perturbation, str or list, optional
        Simulate a perturbed copy of the network (see
        :mod:`spikewidgets.perturbations`): with the same seed, trial and
        factor, exactly that trial of :func:`~spikewidgets.search.perturbation_search`.
    downsample : int, default 1
        LIF time-step multiplier.
    use_initial_weights : bool, default False
        Simulate the untrained recurrent weights ``w0`` (with the trained
        synaptic decay, as the original does).
    compare_rate : bool, default False
        Also run the rate network on the trial's input (its noise from the
        trial's rate-noise stream, as a search with ``compare_rate=True``
        does) and return both networks' units on the input's time axis
        ``rate_time``: ``rate_spiking`` (each LIF unit's filtered spike train
        ``r`` divided by the factor, at the end of every 5 ms rate step) and
        ``rate_network`` (the rate units' ``r``), with the trial's
        ``rate_correlation`` and ``rate_gain`` in ``attrs``.

    Returns
    -------
    xarray.Dataset
        ``output`` (time), ``spike_unit`` / ``spike_time`` (spike),
        ``mean_rate`` (unit), ``stimulus`` (input, rate_time), optionally
        ``voltage`` (mV) and ``rate`` (Hz) (unit, time); ``unit_type`` says
        which units are excitatory. Every variable and coordinate has a short
        ``long_name`` (its axis label), a ``description`` and, for times
        (s), rates (Hz) and voltages (mV), ``units``.

    Examples
    --------
    Trial 3 of a search with the default seed 0, at the factor 30, with the
    voltages:

    >>> import spikewidgets as sw
    >>> path = sw.example_model("go_nogo", ".")
    >>> sim = sw.simulate(path, 30, "go_nogo", trial=3, record_voltages=True)
    >>> sim.attrs["condition"], sim.attrs["correct"], sim.attrs["seed"]
    ('go', 1, 0)
    >>> sim.voltage.dims, sim.voltage.shape
    (('unit', 'time'), (200, 20000))
    >>> sim.voltage.attrs["long_name"], sim.voltage.attrs["units"]
    ('membrane voltage', 'mV')

    The same trial beside the rate network, unit by unit:

    >>> both = sw.simulate(path, 30, "go_nogo", trial=3, compare_rate=True)
    >>> both.rate_spiking.dims, both.rate_network.shape
    (('unit', 'rate_time'), (200, 201))
    >>> round(both.attrs["rate_correlation"], 2), round(both.attrs["rate_gain"], 2)
    (0.88, 1.46)
    """
    if (task_name is None) == (u is None):
        raise ValueError("pass either task_name (to draw a trial) or u (an explicit input), "
                         "not both")
    entropy, trial = entropy_from_seed(seed), int(trial)
    choices = PlanOptions(downsample=downsample, use_initial_weights=use_initial_weights)
    (factor,) = parse_scaling_factors([scaling_factor])
    if task_name is not None:
        plan = SearchPlan.prepare(model, task_name, [factor], task_settings, seed=entropy,
                                  options=choices)
        made, rng = plan.draw_trial(trial)
        model, u = plan.model, made.u
    else:
        model = model if isinstance(model, RateModel) else load_model(model)
        plan, made, rng = None, None, trial_generator(entropy, trial)
    network, label = _network(model, factor, perturbation, entropy, choices)
    result = run_lif(network, np.asarray(u, dtype=np.float64), rng=rng, stimulation=stimulation,
                     stimulation_rng=stimulation_generator(entropy, trial),
                     record_spikes=True, record_traces=record_voltages or record_rates,
                     sample_rates=compare_rate)
    attrs: dict[str, object] = {"scaling_factor": float(factor)}
    if plan is not None:
        attrs.update(task=plan.task.name, task_settings=plan.task.settings_json(plan.settings),
                     label=int(made.label), condition=made.condition)
    if label is not None:
        attrs["perturbation"] = label
    if plan is not None:
        attrs.update(_score(plan, made, result))
    attrs.update(dt=result.dt, trial_length=result.trial_length, seed=seed_attr(entropy),
                 trial=trial)
    data_vars = _traces(result, u, record_voltages, record_rates)
    if compare_rate:
        data_vars.update(_rate_comparison(result, model, u, factor, entropy, trial, choices,
                                          attrs))
    return xr.Dataset(data_vars, coords=_coordinates(result, model, u), attrs=attrs)


def _network(model: RateModel, factor: float, perturbation: object, entropy: int,
             choices: PlanOptions) -> tuple[LIFNetwork, str | None]:
    """The network at ``factor``, perturbed if asked, and the perturbation's label (or None)."""
    if perturbation is None:
        return LIFNetwork.from_model(model, [factor], downsample=choices.downsample,
                                     use_initial_weights=choices.use_initial_weights), None
    changed = as_perturbation(perturbation)
    (variant,) = perturbed_variants(model, [changed], [factor], entropy,
                                    downsample=choices.downsample,
                                    use_initial_weights=choices.use_initial_weights)
    return LIFNetwork.from_variants(model, [variant], downsample=choices.downsample), \
        changed.label


def _rate_comparison(result: LIFResult, model: RateModel, u: np.ndarray, factor: float,
                     entropy: int, trial: int, choices: PlanOptions,
                     attrs: dict[str, object]) -> dict[str, tuple]:
    """Both networks' units on the input's time axis; the trial's comparison into ``attrs``."""
    u = np.asarray(u, dtype=np.float64)
    rate = rate_network_trial(model, u, entropy, trial, choices.use_initial_weights)
    compared = compare_trial(result, rate, np.array([factor]),
                             rate_sample_interval(choices.downsample))
    attrs.update(rate_correlation=float(compared.correlation[0]),
                 rate_gain=float(compared.gain[0]))
    # Time 0 is the initial state: r = 0 in the LIF network, r[0] = f(x0) in the rate network.
    spiking = np.full((model.n_units, u.shape[1]), np.nan)
    spiking[:, 0] = 0.0
    n_samples = min(result.rate_samples.shape[1], u.shape[1] - 1)
    spiking[:, 1 : n_samples + 1] = result.rate_samples[0, :n_samples].T / factor
    return {
        "rate_spiking": (("unit", "rate_time"), spiking, variable_attrs(
            "r_spk / scaling factor", "filtered spike train r of the LIF unit divided by "
            "the scaling factor, at the end of every 5 ms rate step (NaN after the "
            "simulated steps)")),
        "rate_network": (("unit", "rate_time"), rate.r.T.copy(), variable_attrs(
            "rate r", f"rate of the rate network's unit, r = {model.activation}(x), at every "
            "5 ms rate step (the initial state at time 0)")),
    }


def _score(plan: SearchPlan, made: Trial, result: LIFResult) -> dict[str, object]:
    """The score of a task's trial, as attributes."""
    task, settings = plan.task, plan.settings
    start = task.window_start(settings, plan.downsample)
    score = task.score(result.out[:, start - 1:], int(made.label), settings)
    return {"correct": int(score.correct[0]), "response": float(score.response[0]),
            "response_window_start": float(start * result.dt)}


def _traces(result: LIFResult, u: np.ndarray, record_voltages: bool,
            record_rates: bool) -> dict[str, tuple]:
    """The Dataset's variables: output, spikes, mean rates, input, and the traces asked for."""
    dt = result.dt
    data_vars = {
        "output": ("time", result.out[0],
                   variable_attrs("spiking readout", "readout of the spiking network, "
                                  "w_out r / scaling factor, at every LIF step")),
        "spike_unit": ("spike", result.spike_units[0],
                       variable_attrs("spiking unit", "index of the unit that fired the spike")),
        "spike_time": ("spike", result.spike_steps[0] * dt,
                       variable_attrs("spike time", "time of the spike from the trial start",
                                      "s")),
        "mean_rate": ("unit", result.mean_rates[0],
                      variable_attrs("mean firing rate", "mean firing rate of the unit in the "
                                     "trial (spikes from LIF step 10 on)", "Hz")),
        "stimulus": (("input", "rate_time"), np.asarray(u, dtype=np.float64),
                     variable_attrs("task input", "input of the trial, one column per 5 ms "
                                    "rate step")),
    }
    if record_voltages:
        data_vars["voltage"] = (("unit", "time"), result.voltages[0].T,
                                variable_attrs("membrane voltage", "membrane voltage of the "
                                               "unit at the end of every LIF step", "mV"))
    if record_rates:
        data_vars["rate"] = (("unit", "time"), result.rates[0].T,
                             variable_attrs("filtered spike train", "spike train of the unit "
                                            "filtered by the synapse (r of the readout)",
                                            "Hz"))
    return data_vars


def _coordinates(result: LIFResult, model: RateModel, u: np.ndarray) -> dict[str, tuple]:
    """Time, unit (with its type), input time and input channel."""
    exc = np.asarray(model.exc, dtype=bool)
    return {
        "time": ("time", result.dt * np.arange(1, result.n_steps + 1),
                 variable_attrs("time", "time from the trial start at the end of every LIF "
                                "step", "s")),
        "unit": ("unit", np.arange(model.n_units), variable_attrs("unit", "index of the unit")),
        "unit_type": ("unit", np.where(exc, "exc", "inh"),
                      variable_attrs("unit type", "exc for an excitatory unit, inh for an "
                                     "inhibitory one")),
        "rate_time": ("rate_time", RATE_STEP * np.arange(np.shape(u)[1]),
                      variable_attrs("input time", "start of the 5 ms rate step of each "
                                     "input column, from the trial start", "s")),
        "input": ("input", np.arange(np.shape(u)[0]),
                  variable_attrs("input", "index of the input channel")),
    }
