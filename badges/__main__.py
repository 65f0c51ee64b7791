"""``python -m badges``: see :mod:`badges.cli`."""

import sys

from badges.cli import main

sys.exit(main())
