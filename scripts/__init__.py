"""The `tgpipe` command and its subcommands."""
