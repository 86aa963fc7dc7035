"""`python -m kgen ...`: the same as the `kgen` console script (see `kgen.cli`)."""

import sys

from kgen.cli import main

sys.exit(main())
