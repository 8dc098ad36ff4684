"""The service's shared SQLite files: `ledger.issuance.sqlite_files`, which the command line uses too."""

from ledger.issuance.sqlite_files import SharedSqlite

__all__ = ["SharedSqlite"]
