"""`python -m bench.compare`: see the package's docstring."""

import sys

from bench.compare.main import main

sys.exit(main())
