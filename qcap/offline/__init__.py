"""The offline engine: run a Pulumi program under mocks, gate it with the pack, check it against the providers' contracts."""
