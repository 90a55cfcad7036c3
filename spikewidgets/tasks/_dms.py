"""Delayed match-to-sample (DMS): the XOR task with working-memory timing.

The working-memory study built on the conversion method (Kim & Sejnowski,
Nature Neuroscience 2021, code ``rkim35/wmRNN``) trained its DMS networks
with the spikeRNN trainer's XOR task and a long delay: two signed pulses
(the sample on input 1, the test on input 2) 750 ms apart, answer "same"
(+1) when their signs agree, "diff" (-1) when not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from spikewidgets.errors import TaskSettingsError
from spikewidgets.tasks._published import Xor

__all__ = ["DelayedMatchToSample"]


class DelayedMatchToSample(Xor):
    """Delayed match-to-sample: is the test stimulus the same as the sample, 750 ms later?

    Timing of the published analysis (``model/cross_temporal_disc.m``), in rate
    steps of 5 ms: ``T = 411`` columns (2.05 s), the sample on input 1 at
    ``[30, 80)``, the test on input 2 at ``[230, 280)`` (``stim_on = 30``,
    ``stim_dur = 50``, ``delay = 150``), each -1 or +1. Trials, conditions
    (``"++"``, ``"+-"``, ``"-+"``, ``"--"``), labels (+1 "same", -1 "diff"),
    scoring and the training rules are those of :class:`~spikewidgets.tasks.Xor`
    at this timing: the spiking readout is scored from ``resp_start = 320``,
    40 steps after the test stimulus ends, to the end of the trial; the rate
    network is trained on the target +-1 over ``[240, 390)`` (from 10 steps
    after the test stimulus starts to 110 steps after it ends) and 0 elsewhere,
    on trials one column shorter (``T = 410``).

    **The response window and the trial end follow the test stimulus.** The
    settings ``resp_start`` and ``T`` are relative to the end of the test
    stimulus, ``task_end = stim_on + 2 * stim_dur + delay``: unless given
    explicitly, ``resp_start = task_end + 40`` (``response_gap``) and
    ``T = task_end + 131`` (``trial_tail``; 130 for training). So
    ``settings({"delay": 50})`` moves the test stimulus to ``[130, 180)``, the
    response window to 220 and the trial end to 311: every delay is scored
    and trained with the same gap and window, and accuracy against delay
    compares like with like. A ``resp_start`` or ``T`` given explicitly is used
    as given (and must still lie after the stimulus); the search panel gives
    every setting explicitly, so there change them with ``delay``.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> task = sw.get_task("dms")
    >>> settings = task.settings({"delay": 50})
    >>> settings["T"], settings["resp_start"]
    (311, 220)
    >>> task.settings({"delay": 50, "resp_start": 250})["resp_start"]
    250
    >>> task.training_settings()["T"]
    410
    """

    name = "dms"
    n_inputs = 2
    defaults: ClassVar[Mapping[str, float]] = {
        "T": 411, "stim_on": 30, "stim_dur": 50, "delay": 150, "resp_start": 320,
        "eval_amp_thresh": 0.7,
    }
    conditions = ("++", "+-", "-+", "--")
    label_names: ClassVar[Mapping[int, str]] = {1: "same", -1: "diff"}
    training_overrides: ClassVar[Mapping[str, float]] = {}
    max_training_trials = 100_000
    file_label = "dms"
    #: Rate steps from the end of the test stimulus to the start of the response window.
    response_gap = 40
    #: Columns from the end of the test stimulus to the end of the trial (411 - 280).
    trial_tail = 131

    def settings(self, overrides: Mapping[str, object] | None = None) -> dict[str, float]:
        """Merge ``overrides`` over the defaults; ``resp_start`` and ``T`` follow the stimulus.

        See the class docstring: a ``resp_start`` or ``T`` not in ``overrides``
        is placed ``response_gap`` and ``trial_tail`` steps after the
        end of the test stimulus.

        Raises
        ------
        TaskSettingsError
            For an unknown key, a non-numeric or non-positive value, or a
            stimulus or response window outside the trial.
        """
        given = dict(overrides or {})
        end = self._given_task_end(given)
        followed: dict[str, object] = {}
        if end is not None:
            followed = {"resp_start": end + self.response_gap, "T": end + self.trial_tail}
        settings = super().settings({**followed, **given})
        if settings["resp_start"] < self.stimulus_end(settings):
            raise TaskSettingsError(
                f"task_settings['resp_start'] is {settings['resp_start']}, expected at least "
                f"{self.stimulus_end(settings)} (the end of the test stimulus) so that the "
                "answer is scored after both stimuli"
            )
        return settings

    def _given_task_end(self, given: Mapping[str, object]) -> int | None:
        """End of the test stimulus for the given timing, None if a value is not a number."""
        values = []
        for key in ("stim_on", "stim_dur", "delay"):
            try:
                values.append(int(given.get(key, self.defaults[key])))
            except (TypeError, ValueError, OverflowError):
                return None  # the base class names the bad value
        stim_on, stim_dur, delay = values
        return stim_on + 2 * stim_dur + delay

    def training_settings(self, overrides: Mapping[str, object] | None = None) -> dict[str, float]:
        """Training settings: one column fewer than :meth:`settings` unless ``T`` is given."""
        given = dict(overrides or {})
        if "T" not in given:
            given["T"] = int(self.settings(given)["T"]) - 1
        return self.settings(given)
