"""Training rate RNNs for the conversion, with JAX (the ``train`` extra).

The procedure is the one of the published spikeRNN TensorFlow trainer
(Kim, Li & Sejnowski, PNAS 2019): Dale's principle, sparse non-negative
recurrent weights (``initialize_network``), fixed input weights, trained
recurrent and readout weights and per-unit decay constants, one trial per Adam
step (learning rate 0.01), the loss ``sqrt(sum_t (o[t] - target[t])^2)`` on the
noisy network of :func:`~spikewidgets.sim.simulate_rate`, and the stopping rule of
:func:`train`. Everything task-specific (trial length, target, the rule that
says a trial is correct, trial budgets, the name in the file name) comes from
the task (:class:`spikewidgets.Task`), so a registered task of your own trains
like a published one. The XOR and DMS targets start during the second
stimulus, not after it as in the published trainer: with the published target,
XOR training spends thousands of trials on a loss plateau that leaves an
inhibition-only network with no clear optimal scaling factor (see
:class:`spikewidgets.tasks.Xor`).

The result is written, atomically, as a ``.mat`` file with the keys, shapes and
dtypes of the TensorFlow trainer. Every random draw derives from one integer
seed, so the same seed gives the same model. JAX and optax are imported only
when training starts; ``import spikewidgets.train`` does not need them.

A curriculum trains through stages of task settings, each with its own
stopping rule (:class:`CurriculumStage`), and ``initial_model`` starts from a
saved model; the model file then records every stage (:func:`read_stages`).

Example
-------
>>> from spikewidgets.train import TrainingConfig, train
>>> result = train(TrainingConfig(task="go_nogo", n_units=100, seed=0))  # doctest: +SKIP
>>> stages = (CurriculumStage({"delay": 10}), CurriculumStage({"delay": 150}))
>>> result = train(TrainingConfig(task="dms", curriculum=stages))  # doctest: +SKIP
"""

from spikewidgets.errors import MissingTrainDependencyError
from spikewidgets.train._config import EVAL_EVERY, EVAL_TRIALS, TrainingConfig
from spikewidgets.train._curriculum import CurriculumStage, read_stages
from spikewidgets.train._trainer import train

__all__ = [
    "EVAL_EVERY",
    "EVAL_TRIALS",
    "CurriculumStage",
    "MissingTrainDependencyError",
    "TrainingConfig",
    "read_stages",
    "train",
]
