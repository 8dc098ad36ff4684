"""The command line of the comparison: `python -m bench.compare` and `hurong bench peer`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.common import RESULTS_DIR
from bench.compare.peer import PeerUnavailable
from bench.compare.report import print_table, write_results
from bench.compare.run import compare


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=_description())
    parser.add_argument("--n", type=int, default=1_000, help="licences issued at each batch size (default 1,000)")
    parser.add_argument(
        "--batches", default=None, help="comma-separated batch sizes (default 1,100,1000 and 10000 when N ≥ 10,000)"
    )
    parser.add_argument("--seconds", type=int, default=10, help="seconds of wrk load on POST /verify")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of the Hurong service")
    parser.add_argument("--concurrency", type=int, default=16, help="documents oa-verify checks at once")
    parser.add_argument("--repeat", type=int, default=3, help="issuance runs per batch size; the median counts")
    parser.add_argument("--single", type=int, default=None, help="certificates verified one at a time (default N)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder (default bench/results)")
    args = parser.parse_args(argv)
    batches = [int(b) for b in args.batches.split(",")] if args.batches else None
    command = "python -m bench.compare " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        figures = compare(
            args.n,
            batches,
            seconds=args.seconds,
            connections=args.connections,
            workers=args.workers,
            concurrency=args.concurrency,
            repeat=args.repeat,
            single=args.single,
        )
    except PeerUnavailable as exc:
        print(f"the peer cannot run here: {exc}", file=sys.stderr)
        return 2
    print_table(figures)
    paths = write_results(figures, args.out, command=command.strip())
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 1 if figures["failures"] else 0


def _description() -> str | None:
    """The first paragraph of the package's docstring."""
    doc = sys.modules["bench.compare"].__doc__
    return doc.split("\n\n")[0] if doc else None
