"""Verification: the verifier, its checks, and the readers it reads the chain through."""
