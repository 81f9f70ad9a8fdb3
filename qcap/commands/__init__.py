"""The command line's rooms: one thin typer module per command that parses, calls the room below, and renders."""
