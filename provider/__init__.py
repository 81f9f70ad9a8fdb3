"""qcap as a Pulumi component package: its components for every Pulumi language.

`pulumi package add <path to this directory>` generates an SDK in the consumer's language;
the CLI runs this directory's __main__.py as the provider plugin (docs/languages.md).
"""
