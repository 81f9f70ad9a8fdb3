"""The `qcap` command line: plan, preview, simulate, doctor, load, redrive.

Each command lives in its own module with a `register(app)` function; this module only
assembles them, so a command can be read (and tested) on its own.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version as package_version

import typer

app = typer.Typer(
    name="qcap",
    help="Capacity-planned queue infrastructure: plan it, provision it with Pulumi, gate it, simulate it, check it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

def _version(value: bool) -> None:
    if value:
        typer.echo(f"qcap {package_version('qcap')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Capacity-planned queue infrastructure: plan it, provision it with Pulumi, gate it, simulate it, check it."""


# One module per command, each exposing register(app). Add a line to wire a new command.
# Every one is imported at each start, so a command imports its heavy libraries (pulumi, grpc,
# boto3, matplotlib: qcap.offline, qcap.live) inside its function; tests/test_cli.py checks plan's.
COMMAND_MODULES = [
    "qcap.commands.plan",
    "qcap.commands.simulate",
    "qcap.commands.preview",
    "qcap.commands.doctor",
    "qcap.commands.load",
    "qcap.commands.redrive",
    "qcap.commands.worker",
]

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)
