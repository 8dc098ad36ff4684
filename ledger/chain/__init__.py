"""The chain: typed contract client, transactions, reverts, models, deployment records, the bootstrap of a
consortium, local anvil nodes."""
