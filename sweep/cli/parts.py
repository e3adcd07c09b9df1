"""``sweep parts [--family F] [--json]``: the FPGA part table with each row's source.

Registered by the CLI with ``app.command()(parts)``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Optional

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from sweep.errors import UserError

#: Table column → header; the numeric ones are right-aligned.
HEADERS = {"name": "name", "family": "family", "architecture": "architecture", "lut": "LUT", "ff": "FF",
           "dsp": "DSP", "bram_18k": "BRAM18K", "uram": "URAM", "source": "source"}
NUMERIC = ("lut", "ff", "dsp", "bram_18k", "uram")


def parts(
    family: Annotated[Optional[str], typer.Option(help="Only this product family, e.g. artix7.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list instead of a table.")] = False,
) -> None:
    """List the FPGA parts estimates know: LUT, FF, DSP, BRAM (18 Kb blocks), URAM and the source table."""
    from hls_workers.parts import coefficient_family, parts_of, sources

    try:
        rows = parts_of(family)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if as_json:
        docs = sources()
        typer.echo(json.dumps([{**asdict(p), "coefficients": coefficient_family(p), "source_title": docs[p.source]}
                               for p in rows], indent=1))
        return
    table = Table(title=f"{len(rows)} FPGA parts" + (f" of family {family}" if family else ""),
                  box=box.SIMPLE_HEAD, padding=(0, 1))
    for column, header in HEADERS.items():
        table.add_column(header, justify="right" if column in NUMERIC else "left", overflow="fold")
    for p in rows:
        table.add_row(*(f"{getattr(p, c):,}" if c in NUMERIC else str(getattr(p, c)) for c in HEADERS))
    console = Console()
    if not console.is_terminal:  # piped or captured: full names on one line each
        console = Console(width=160)
    console.print(table)
    console.print("sources: " + "; ".join(f"{k}: {v}" for k, v in sources().items() if k in {p.source for p in rows}))
