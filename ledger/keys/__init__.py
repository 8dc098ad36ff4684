"""Keys: issuer signing keys (Ed25519, ECDSA, SM2) and the encrypted keystore of chain accounts."""
