"""spikewidgets: turn trained rate RNNs into spiking LIF networks, in Jupyter."""

__version__ = "0.1.0"
