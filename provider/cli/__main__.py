"""`python -m provider.cli ...`."""

import sys

from provider.cli.main import main

sys.exit(main())
