"""Side-by-side benchmarks of Hurong against OpenAttestation (the peer), on one anvil, in one run.

`python -m bench.compare --n 1000` (see `bench/compare.py`); the peer's pinned npm packages and Node
scripts are in `bench/peer/`, the figures land in `bench/results/`.
"""
