"""The `hurong` command line: the core's command groups (`ledger.cli.main`, `ledger.cli.certificates`); the
service and the benchmarks plug in through the `hurong.commands` entry points."""

from ledger.cli.main import app, main

__all__ = ["app", "main"]
