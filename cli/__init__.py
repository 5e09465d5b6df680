"""The `helix` command line: cli/main.py builds the parser from one module per command group."""
