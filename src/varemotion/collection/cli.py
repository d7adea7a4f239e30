"""The ``varemotion`` command: ``serve`` an exported experiment, ``export-ratings`` from its database.

::

    varemotion serve results/experiment --database data/ratings.sqlite [--host 127.0.0.1] [--port 8000]
    varemotion export-ratings data/ratings.sqlite --trials trials.csv --jspsych ratings_jspsych.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _parser() -> argparse.ArgumentParser:
    from .app import DEFAULT_MAX_BODY

    parser = argparse.ArgumentParser(prog="varemotion", description="Collect ratings for a varemotion experiment.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the exported experiment and store every answered trial")
    serve.add_argument("experiment", type=Path, help="the exported experiment (results/experiment or its jspsych/)")
    serve.add_argument("--database", type=Path, required=True,
                       help="SQLite file of the trials (created if missing; keep it outside the experiment folder)")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST}: this"
                                                            " computer only; 0.0.0.0 for every network)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY,
                       help=f"largest request body accepted, in bytes (default {DEFAULT_MAX_BODY})")
    serve.add_argument("--synchronous", choices=["full", "normal"], default="full",
                       help="SQLite's sync: full (default) writes every trial to disk before acknowledging it,"
                            " surviving a power cut; normal survives a crash of the server only, and is faster")
    export = commands.add_parser("export-ratings", help="write the stored trials as CSV files")
    export.add_argument("database", type=Path, help="the server's SQLite file (it may be in use)")
    export.add_argument("--trials", type=Path, help="the canonical trial table (rating trials)")
    export.add_argument("--jspsych", type=Path, help="every trial as jsPsych data (CSV), catch trials included")
    return parser


def _check_database_place(experiment: Path, database: Path) -> None:
    inside = experiment.resolve() in database.resolve().parents
    if inside:
        raise SystemExit(f"varemotion serve: the database {database} is inside the experiment folder {experiment},"
                         " which a new export replaces as a whole: put it elsewhere")


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from .app import create_app

    _check_database_place(args.experiment, args.database)
    app = create_app(args.experiment, args.database, max_body=args.max_body, synchronous=args.synchronous.upper())
    print(f"serving {app.state.study.folder} at http://{args.host}:{args.port}/?participant=<id>;"
          f" trials go to {args.database}", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, server_header=False, log_level="warning")


def export_ratings(args: argparse.Namespace) -> None:
    from .export import export_trials

    if args.trials is None and args.jspsych is None:
        raise SystemExit("varemotion export-ratings: give --trials and/or --jspsych")
    for kind, path in export_trials(args.database, jspsych=args.jspsych, trials=args.trials).items():
        print(f"{kind}: {path}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``varemotion`` command."""
    from varemotion.data import DataError

    args = _parser().parse_args(argv)
    try:
        {"serve": serve, "export-ratings": export_ratings}[args.command](args)
    except (DataError, FileNotFoundError, ValueError) as error:
        raise SystemExit(f"varemotion {args.command}: {error}") from None


if __name__ == "__main__":
    main()
