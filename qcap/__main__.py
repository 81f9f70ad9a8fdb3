"""`python -m qcap` runs the command line."""

from qcap.cli import app

app()
