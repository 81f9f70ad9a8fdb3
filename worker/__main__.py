"""`python -m worker MODULE:FUNCTION`: the consumer image's entry point (no pulumi, no typer)."""

import sys

from worker.runner import main

sys.exit(main())
