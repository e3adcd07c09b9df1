"""The ``sweep`` command line. User mistakes print one line ``error: …`` and exit with status 2."""

from __future__ import annotations

import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import typer

from sweep.cli.data import data_app
from sweep.cli.estimate import estimate
from sweep.cli.study import register_study_commands
from sweep.errors import UserError

app = typer.Typer(
    help="hls-sweep: Optuna sweeps of QKeras trigger models scored on the bit-accurate hls4ml gap.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
register_study_commands(app)
app.command()(estimate)
app.add_typer(data_app, name="data")


def main(argv: list[str] | None = None) -> int:
    """Run the app; a :class:`UserError` becomes ``error: <message>`` on stderr and its exit status."""
    try:
        app(args=argv)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def entry() -> None:
    """Console-script entry; library warnings (TensorFlow, Keras, hls4ml) are hidden unless SWEEP_WARNINGS=1."""
    if os.environ.get("SWEEP_WARNINGS") != "1":
        warnings.simplefilter("ignore")
        os.environ.setdefault("PYTHONWARNINGS", "ignore")  # the hardware worker process too
    sys.exit(main())
