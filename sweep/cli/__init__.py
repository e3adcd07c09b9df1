"""The ``sweep`` command line. User mistakes print one line ``error: …`` and exit with status 2."""

from __future__ import annotations

import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import typer

from sweep.cli.dashboard import dashboard
from sweep.cli.data import data_app
from sweep.cli.estimate import estimate
from sweep.cli.export import export
from sweep.cli.parts import parts
from sweep.cli.report import report
from sweep.cli.study import register_study_commands
from sweep.cli.trace import trace
from sweep.cli.workers import storage_proxy, worker
from sweep.errors import UserError

app = typer.Typer(
    help="hls-sweep: Optuna sweeps of QKeras trigger models scored on the bit-accurate hls4ml gap.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
register_study_commands(app)
app.command()(estimate)
app.command()(export)
app.command()(parts)
app.command()(report)
app.command()(dashboard)
app.command()(trace)
app.command()(worker)
app.command(name="storage-proxy")(storage_proxy)
app.add_typer(data_app, name="data")


def main(argv: list[str] | None = None) -> int:
    """Run the app and return its exit status.

    A :class:`UserError` and a usage error (unknown command or option, bad option value, missing option)
    both become one line ``error: <message>`` on stderr (a usage error adds one ``hint:`` line) and exit
    status 2. ``--help`` prints help and returns 0; a group called without a command prints its help.
    """
    # typer 0.29 vendors click as typer._click (click itself is not installed)
    from typer._click.exceptions import NoArgsIsHelpError, UsageError

    try:
        # standalone_mode=False: click raises usage errors instead of printing typer's boxed panel
        result = typer.main.get_command(app).main(args=argv, prog_name="sweep", standalone_mode=False)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except NoArgsIsHelpError as exc:  # `sweep`, `sweep data`: typer's rich help is printed already
        if exc.format_message().strip():
            print(exc.format_message())
        return exc.exit_code
    except UsageError as exc:
        print(f"error: {_usage_message(exc)}", file=sys.stderr)
        if exc.ctx is not None:
            print(f"hint: try `{exc.ctx.command_path} --help`", file=sys.stderr)
        return exc.exit_code
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    # without standalone mode, typer.Exit(code) and --help come back as the exit code
    return result if isinstance(result, int) else 0


def _usage_message(exc: Exception) -> str:
    """click's usage-error text on one line, starting lower case like the other ``error:`` lines."""
    text = " ".join(exc.format_message().split()).replace("Value error, ", "")  # type: ignore[attr-defined]
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def entry() -> None:
    """Console-script entry; library warnings (TensorFlow, Keras, hls4ml) are hidden unless SWEEP_WARNINGS=1."""
    if os.environ.get("SWEEP_WARNINGS") != "1":
        warnings.simplefilter("ignore")
        os.environ.setdefault("PYTHONWARNINGS", "ignore")  # the hardware worker process too
    sys.exit(main())
