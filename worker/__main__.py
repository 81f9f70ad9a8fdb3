"""`python -m worker MODULE:FUNCTION`: the consumer image's entry point (no pulumi, no typer).

After the stop line the process exits at once (os._exit after flushing the logs): the
interpreter's own teardown, collecting boto3's modules, took up to 0.37 s of the stop
timeout (benchmarks/bench_shutdown.py) and there is nothing left for it to do.
"""

import logging
import os
import sys

from worker.runner import main

code = main()
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
