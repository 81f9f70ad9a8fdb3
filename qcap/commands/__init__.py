"""One thin typer module per command, each exposing register(app)."""
