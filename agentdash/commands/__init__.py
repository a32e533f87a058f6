"""The CLI subcommands, one module each; cli.py parses arguments and calls them."""
