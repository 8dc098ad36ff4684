"""Hurong's Python core: contracts toolchain, chain client, certificates, verification."""

__version__ = "0.1.0"
