"""Issuance: the issuer pipeline, its journal, status changes that survive the chain, document stores."""
