"""The event index: the deployment's events followed into a database, and the verifier's reader answered from it.

tables      the SQLAlchemy tables (`metadata`, `index_state`, `SCHEMA_VERSION`), the state row's helpers
handlers    decoded logs written into the tables, one handler per event name
indexer     `Indexer`: the sync loop (ranges, reorganisations, rebuilds, `run`/`wake`) and its chain readers
queries     `IndexQueries`, the query API `Indexer` offers (registers, histories, counts)
reader      `IndexReader`: the verifier's reader, from the index and, for the rest, the chain at that block
"""

from ledger.errors import IndexerError
from ledger.index.indexer import CHAIN_READERS, Indexer
from ledger.index.reader import IndexReader
from ledger.index.tables import SCHEMA_VERSION, index_state, metadata

__all__ = ["CHAIN_READERS", "IndexReader", "Indexer", "IndexerError", "SCHEMA_VERSION", "index_state", "metadata"]
