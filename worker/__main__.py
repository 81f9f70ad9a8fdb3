"""`python -m worker MODULE:FUNCTION`: the consumer image's entry point (no pulumi, no typer).

A worker that ran ends the process as soon as it has logged its stop line (worker/runner.py
exit_now), so the exit costs milliseconds of the stop timeout, not the interpreter's teardown.
"""

import sys

from worker.runner import main

sys.exit(main(exit_after_run=True))
