"""Search plans: what to simulate (one model, one task, network variants, one seed) and how.

A :class:`SearchPlan` holds everything a worker needs to simulate and score a
block of trials; it is picklable, so blocks run on threads, processes or a
Dask cluster alike. Its network variants (one per perturbation and scaling
factor) share each trial's stimulus and noise. ``spikewidgets.search._blocks``
runs the blocks of one or many plans on an executor.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from spikewidgets._version import __version__
from spikewidgets.io._modelfile import RateModel, file_sha256, load_model
from spikewidgets.io._validation import parse_scaling_factors
from spikewidgets.perturbations import NetworkParts, Perturbation
from spikewidgets.search._perturbation_results import perturbation_dataset
from spikewidgets.search._plan_options import PlanOptions
from spikewidgets.search._rate_comparison import (
    RateComparison,
    compare_trial,
    comparison_variables,
    join_comparisons,
    rate_network_trial,
)
from spikewidgets.search._results import TrialScores, build_dataset
from spikewidgets.search.adaptive._strategies import Strategy
from spikewidgets.sim._kernel import (
    BASE_DT,
    LIFNetwork,
    LIFResult,
    NetworkVariant,
    run_lif,
    scaling_variants,
)
from spikewidgets.sim._kernel.network import rate_sample_interval
from spikewidgets.sim._seeding import (
    entropy_from_seed,
    perturbation_generator,
    seed_attr,
    stimulation_generator,
    trial_generator,
)
from spikewidgets.tasks import Task, Trial, get_task

__all__ = ["SearchPlan", "perturbed_variants"]

LAMBDA_CONVENTION = ("weights are divided by scaling_factor; the paper's lambda is "
                     "1 / scaling_factor")


@dataclass(frozen=True, eq=False)
class SearchPlan:
    """One model, one task, its network variants and a seed: a worker's whole brief.

    Build it with :meth:`prepare`, which checks every argument. Trial ``t``
    of every plan with the same seed has the same stimulus and noise.

    Attributes
    ----------
    model : RateModel
        The rate model.
    task : Task
        The task, with validated ``settings``.
    scaling_factors : ndarray
        The grid, ascending; one network variant per factor.
    entropy : int
        The seed's entropy (``spikewidgets.sim._seeding``).
    paired : bool
        Whether every variant sees the same trials (else one stream per variant).
    downsample : int
        LIF time-step multiplier.
    use_initial_weights : bool
        Simulate the untrained recurrent weights ``w0`` (with the trained
        synaptic decay, as the original does).
    model_path : Path or None
        File the model came from (searches write their optimum into it).
    model_sha256 : str
        Checksum of that file when the plan was made ("" without a file).
    perturbations : tuple of Perturbation
        Empty for a plain search; otherwise the perturbed copies of the
        network (the intact one first), each simulated at every factor.
    adaptive : Strategy or None
        How an adaptive search spends its trials (:mod:`spikewidgets.search.adaptive`);
        None for a full grid.
    optimum_rule : str
        ``"first"`` or ``"robust"`` (``spikewidgets.stats._optimum``).
    compare_rate : bool
        Compare each trial's spiking units with the rate network's
        (``spikewidgets.search._rate_comparison``).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.search._plan import SearchPlan
    >>> plan = SearchPlan.prepare(sw.example_model("go_nogo", "."), "go_nogo", "20:40:10",
    ...                           seed=0)
    >>> plan.scaling_factors.tolist(), plan.n_variants
    ([20.0, 30.0, 40.0], 3)
    >>> [score.correct.tolist() for score in plan.score_trials([0, 1])]
    [[True, True, True], [True, True, True]]
    """

    model: RateModel
    task: Task
    settings: Mapping[str, float]
    scaling_factors: np.ndarray
    entropy: int
    paired: bool = True
    downsample: int = 1
    use_initial_weights: bool = False
    model_path: Path | None = None
    model_sha256: str = ""
    perturbations: tuple[Perturbation, ...] = ()
    adaptive: Strategy | None = None
    optimum_rule: str = "first"
    compare_rate: bool = False
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def prepare(
        cls,
        model: str | os.PathLike | RateModel,
        task: str | Task,
        scaling_factors: str | Iterable[float],
        task_settings: Mapping[str, object] | None = None,
        *,
        seed: int | np.random.SeedSequence | None = None,
        options: PlanOptions | None = None,
    ) -> SearchPlan:
        """Check the arguments of a search and make its plan.

        Parameters
        ----------
        model : path-like or RateModel
            Trained rate model, or its ``.mat`` file.
        task : str or Task
            Task name or object.
        scaling_factors : sequence of float or str
            The grid (``"start:stop:step"`` with stop inclusive, or values).
        task_settings : mapping, optional
            Overrides of the task's defaults.
        seed : int, optional
            Seed of every random draw (None: a fresh one).
        options : PlanOptions, optional
            ``paired``, ``downsample``, ``use_initial_weights``,
            ``perturbations``, ``adaptive`` and ``optimum``, checked
            (default: a plain, paired search of the trained weights, optimum
            rule ``"first"``).

        Raises
        ------
        ValueError, FileNotFoundError
            Naming the argument, its value and what was expected.
        """
        factors = parse_scaling_factors(scaling_factors)
        entropy = entropy_from_seed(seed)
        task_object = get_task(task)
        path, checksum = None, ""
        if not isinstance(model, RateModel):
            path = Path(model)
            model = load_model(path)
            checksum = file_sha256(path)
        elif model.path is not None:
            path = model.path
        task_object.check_model_inputs(model.n_inputs, f"model file {path}" if path
                                       else "the model")
        settings = task_object.settings(task_settings)
        options = PlanOptions() if options is None else options
        plan = cls(model, task_object, settings, factors, entropy, options.paired,
                   options.downsample, options.use_initial_weights, path, checksum,
                   options.perturbations or (), options.adaptive, options.optimum,
                   options.compare_rate)
        if plan.perturbations:
            plan.variants()  # bad perturbations (a unit index out of range) fail here
        return plan

    # ------------------------------------------------------------------ networks

    @property
    def n_variants(self) -> int:
        """Number of network variants: perturbations (at least 1) x scaling factors."""
        return max(1, len(self.perturbations)) * int(self.scaling_factors.size)

    def variants(self) -> list[NetworkVariant]:
        """The plan's network variants: each perturbation at each factor, factors fastest."""
        if not self.perturbations:
            return scaling_variants(self.model, self.scaling_factors,
                                    use_initial_weights=self.use_initial_weights)
        return perturbed_variants(self.model, self.perturbations, self.scaling_factors,
                                  self.entropy, downsample=self.downsample,
                                  use_initial_weights=self.use_initial_weights)

    def networks(self) -> list[LIFNetwork]:
        """Batches of variants to simulate: one batch (paired), or one per variant.

        Built once per worker process and shared by its threads.
        """
        # Built under the lock: threads that start together wait for one build instead
        # of each making its own copy of the (variants x N x N) weights.
        with _NETWORKS_LOCK:
            if self.key in _NETWORKS:
                _NETWORKS.move_to_end(self.key)
                return _NETWORKS[self.key]
            variants = self.variants()
            groups = [variants] if self.paired else [[variant] for variant in variants]
            networks = [LIFNetwork.from_variants(self.model, group, downsample=self.downsample)
                        for group in groups]
            _NETWORKS[self.key] = networks
            while len(_NETWORKS) > _NETWORKS_KEPT:
                _NETWORKS.popitem(last=False)
            return networks

    # ------------------------------------------------------------------ trials

    def draw_trial(self, trial: int, stream: int | None = None
                   ) -> tuple[Trial, np.random.Generator]:
        """Trial ``trial``'s stimulus and the Generator that then draws its voltages and noise.

        ``stream`` is the variant index of an unpaired search (None: paired).
        """
        rng = trial_generator(self.entropy, trial, stream)
        return self.task.make_trial(rng, self.settings), rng

    def score_trials(self, trials: Sequence[int]) -> list[TrialScores]:
        """Simulate and score ``trials`` for every network variant."""
        networks = self.networks()
        start = self.task.window_start(self.settings, self.downsample)
        scores = []
        for trial in trials:
            parts, compared = [], []
            for index, network in enumerate(networks):
                task_trial, rng = self.draw_trial(trial, None if self.paired else index)
                stimulated = any(s is not None for s in network.stimulations)
                result = run_lif(network, task_trial.u, rng=rng, out_start=start,
                                 stimulation_rng=stimulation_generator(self.entropy, trial)
                                 if stimulated else None, sample_rates=self.compare_rate)
                if self.compare_rate:
                    compared.append(self.compare_with_rate(result, task_trial.u, trial,
                                                           network.scaling_factors))
                score = self.task.score(result.out, task_trial.label, self.settings)
                crossing = score.response_index
                time = np.where(crossing >= 0, (start + crossing) * result.dt, np.nan)
                rate = result.spike_counts.sum(axis=1) / network.n_units / result.trial_length
                parts.append((task_trial, score.correct, score.response, time, rate))
            first = parts[0][0]

            def joined(column: int, parts: list = parts) -> np.ndarray:
                return np.concatenate([np.atleast_1d(p[column]) for p in parts])

            scores.append(TrialScores(
                trial=int(trial), label=int(first.label), condition=str(first.condition),
                correct=joined(1), response=joined(2), response_time=joined(3),
                mean_rate=joined(4), rate=join_comparisons(compared) if compared else None,
            ))
        return scores

    def compare_with_rate(self, result: LIFResult, u: np.ndarray, trial: int,
                          factors: np.ndarray) -> RateComparison:
        """Compare one trial's sampled spiking rates with the rate network's run of it."""
        rate = rate_network_trial(self.model, u, self.entropy, trial, self.use_initial_weights)
        return compare_trial(result, rate, factors, rate_sample_interval(self.downsample))

    # ------------------------------------------------------------------ results

    def attrs(self, n_trials: int) -> dict[str, object]:
        """Dataset attributes that describe the plan (plain strings and numbers)."""
        attrs = self.shared_attrs(self.task, self.settings, self.entropy, n_trials,
                                  PlanOptions(self.paired, self.downsample,
                                              self.use_initial_weights,
                                              compare_rate=self.compare_rate))
        attrs["optimum_rule"] = self.optimum_rule
        if self.adaptive is not None:
            attrs.update(self.adaptive.attrs())
        if self.model_path is not None:
            attrs["model_path"] = str(Path(self.model_path).resolve())
            attrs["model_sha256"] = self.model_sha256
        return attrs

    @staticmethod
    def shared_attrs(task: Task, settings: Mapping[str, float], entropy: int, n_trials: int,
                     options: PlanOptions) -> dict[str, object]:
        """The attributes of plans that differ only in their model (a many-model search's).

        ``compare_rate`` (1) is there only for a search that compares with the rate network.
        """
        compared = {"compare_rate": 1} if options.compare_rate else {}
        return {
            "task": task.name,
            "task_settings": task.settings_json(settings),
            "seed": seed_attr(entropy),
            "n_trials": int(n_trials),
            "paired": int(options.paired),
            "downsample": int(options.downsample),
            "use_initial_weights": int(options.use_initial_weights),
            "spikewidgets_version": __version__,
            "lambda_convention": LAMBDA_CONVENTION,
            **compared,
        }

    def dataset(self, scores: Sequence[TrialScores], attrs: Mapping[str, object], *,
                warn_edge: bool = False, stacklevel: int = 3) -> xr.Dataset:
        """The search Dataset of the finished ``scores`` (any order, any subset).

        With ``warn_edge``, an optimum at the edge of the grid gives an
        :class:`~spikewidgets.EdgeOfGridWarning` placed ``stacklevel`` frames up
        (the default names the caller of the function that calls this).
        """
        if self.perturbations:
            return perturbation_dataset(self.scaling_factors, self.perturbations, scores,
                                        self.task.conditions, attrs, rule=self.optimum_rule,
                                        exc=self.model.exc if self.compare_rate else None)
        dataset = build_dataset(self.scaling_factors, scores, self.task.conditions, attrs,
                                rule=self.optimum_rule,
                                warn_stacklevel=stacklevel + 1 if warn_edge else None)
        if self.compare_rate and scores:
            ordered = sorted(scores, key=lambda s: s.trial)
            data, coords = comparison_variables([s.rate for s in ordered], self.model.exc)
            dataset = dataset.assign_coords(coords).assign(data)
        return dataset


_NETWORKS: OrderedDict[str, list[LIFNetwork]] = OrderedDict()
_NETWORKS_LOCK = threading.Lock()
_NETWORKS_KEPT = 4


def perturbed_variants(
    model: RateModel,
    perturbations: Sequence[Perturbation],
    scaling_factors: Sequence[float] | np.ndarray,
    entropy: int,
    *,
    downsample: int = 1,
    use_initial_weights: bool = False,
) -> list[NetworkVariant]:
    """Each perturbation of ``model`` at each scaling factor (factors fastest).

    A perturbation's random choices come from
    ``spikewidgets.sim._seeding.perturbation_generator`` (the seed and its
    label), so it is the same network in every search with the same seed.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.io._modelfile import load_model
    >>> from spikewidgets.search._plan import perturbed_variants
    >>> from spikewidgets.search._plan_options import with_intact
    >>> model = load_model(sw.example_model("go_nogo", "."))
    >>> variants = perturbed_variants(model, with_intact(["ei_dec"]), [20.0, 30.0], entropy=0)
    >>> [variant.scaling_factor for variant in variants]
    [20.0, 30.0, 20.0, 30.0]
    """
    base = NetworkParts(model.recurrent_weights(use_initial_weights), model.w_in, model.w_out,
                        model.exc, BASE_DT * downsample)
    variants = []
    for perturbation in perturbations:
        parts = perturbation.apply(base, perturbation_generator(entropy, perturbation.label))
        w_in = parts.w_in if parts.inputs_changed else None
        variants += [NetworkVariant(parts.weights, parts.readout, float(sf), w_in=w_in,
                                    stimulation=parts.stimulation)
                     for sf in scaling_factors]
    return variants
