"""``python -m spikewidgets.cli``: the same as the ``spikewidgets`` command."""

import sys

from . import main

sys.exit(main())
