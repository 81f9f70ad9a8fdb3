"""The offline engine: run a Pulumi program under mocks, gate it with the policy pack, check it against the providers' contracts."""
