"""Hurong's HTTP service: issuing agencies register certificates; verifiers check validity and recognition."""
