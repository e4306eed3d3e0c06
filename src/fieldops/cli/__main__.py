"""``python -m fieldops.cli``: the same as the ``fieldops`` command."""

import sys

from fieldops.cli import main

sys.exit(main())
