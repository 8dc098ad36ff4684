"""`python -m ledger.cli`: the `hurong` command."""

from ledger.cli.main import main

main()
