"""Allow ``python -m socialsim``."""

import sys

from socialsim.cli import main

sys.exit(main())
