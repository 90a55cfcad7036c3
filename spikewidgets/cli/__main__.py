"""``python -m spikewidgets.cli``: the same as the ``spikewidgets`` command."""

import sys

from spikewidgets.cli import main

sys.exit(main())
