"""Read the text C-synthesis report (``<top>_csynth.rpt``) of Vivado HLS 2016–2020 and Vitis HLS 2020–2025.

hls4ml's own parser reads only the ``.xml``; the ``.rpt`` is what public repositories hold most often, and it
is the only file with the per-instance utilization table. The result is a plain dict: tool and version,
part, clock target / estimate / uncertainty (ns), latency and interval (min, max, cycles), the total
utilization and one row per instance (``bram_18k``, ``dsp``, ``ff``, ``lut``, ``uram``), and each instance's
latency where the report lists it.
"""

from __future__ import annotations

import re

from hls_workers.estimate.base import ResourceEstimate

RESOURCES = ("bram_18k", "dsp", "ff", "lut", "uram")


class ReportTextError(ValueError):
    """A text that is not a C-synthesis report; the message is one line."""


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _count(cell: str) -> int:
    cell = cell.strip()
    return 0 if cell in ("-", "") else int(cell)


def _resources(cells: list[str]) -> dict[str, int]:
    """BRAM_18K, DSP, FF, LUT and URAM cells (reports before Vivado HLS 2019 have no URAM column: 0)."""
    values = dict(zip(RESOURCES, (_count(c) for c in cells)))
    return {name: values.get(name, 0) for name in RESOURCES}


def _ns(cell: str) -> float:
    return float(cell.replace("ns", "").strip())


def _section(text: str, start: str, end: str | None = None) -> str:
    if start not in text:
        raise ReportTextError(f"no '{start.strip()}' section")
    part = text[text.index(start) + len(start):]
    return part[:part.index(end)] if end and end in part else part


def _summary_latency(text: str) -> tuple[int, int, int, int]:
    block = _section(text, "+ Latency", "+ Detail")
    for line in block.splitlines():
        cells = _cells(line)
        if cells and cells[0].isdigit():
            # Vivado HLS 2016-2019: min, max, II min, II max, type; later: min, max, abs min, abs max, II min, II max
            values = cells[:4] if len(cells) <= 5 else [cells[0], cells[1], cells[4], cells[5]]
            try:
                latency_min, latency_max, interval_min, interval_max = (int(v) for v in values)
            except ValueError:
                break
            return latency_min, latency_max, interval_min, interval_max
    raise ReportTextError("no latency summary row")


def _instance_latency(text: str) -> dict[str, tuple[int, int]]:
    """Instance -> (latency max, interval max) from the performance section's instance table."""
    if "+ Detail" not in text:
        return {}
    block = _section(text, "+ Detail", "== Utilization Estimates")
    block = block.split("* Loop:")[0]
    out = {}
    for line in block.splitlines():
        cells = _cells(line)
        if len(cells) >= 7 and cells[2].isdigit():
            interval = cells[6] if len(cells) >= 9 else cells[4]
            out[cells[0]] = (int(cells[3]), int(interval) if interval.isdigit() else 0)
    return out


def parse_csynth_rpt(text: str) -> dict:
    """The numbers of a ``<top>_csynth.rpt`` (see the module docstring)."""
    header = re.search(r"==\s*(Vivado|Vitis) HLS Report for", text)
    if header is None:
        raise ReportTextError("not a Vivado/Vitis HLS C-synthesis report (no 'HLS Report for' header)")
    version = re.search(r"\*\s*Version:\s*(\S+)", text)
    part = re.search(r"\*\s*(?:Target device|Part):\s*(\S+)", text)
    clock = re.search(r"\|\s*ap_clk\s*\|\s*([\d.]+)\s*(?:ns)?\s*\|\s*([\d.]+)\s*(?:ns)?\s*\|\s*([\d.]+)\s*(?:ns)?\s*\|", text)
    if version is None or part is None or clock is None:
        raise ReportTextError("missing version, part or ap_clk timing row")
    latency_min, latency_max, interval_min, interval_max = _summary_latency(text)
    utilization = _section(text, "== Utilization Estimates")
    total = next((_cells(line) for line in utilization.splitlines() if line.startswith("|Total")), None)
    if total is None:
        raise ReportTextError("no utilization Total row")
    date = re.search(r"\*\s*Date:\s*(.+)", text)
    report = {
        "tool": f"{header.group(1)} HLS", "tool_version": version.group(1), "part": part.group(1),
        "report_date": date.group(1).strip() if date else None,
        "clock_target_ns": _ns(clock.group(1)), "clock_estimated_ns": _ns(clock.group(2)),
        "clock_uncertainty_ns": _ns(clock.group(3)),
        "latency_min": latency_min, "latency_max": latency_max,
        "interval_min": interval_min, "interval_max": interval_max,
        "total": _resources(total[1:6]),
        "instances": [],
    }
    latencies = _instance_latency(text)
    if "* Instance:" in utilization:
        table = utilization[utilization.index("* Instance:"):]
        table = table[:table.index("|Total")] if "|Total" in table else table
        for line in table.splitlines():
            cells = _cells(line)
            if len(cells) >= 6 and cells[0] and cells[0] != "Instance" and not set(cells[0]) <= set("+-"):
                row = {"instance": cells[0], "module": cells[1], **_resources(cells[2:7])}
                if cells[0] in latencies:
                    row["latency"], row["interval"] = latencies[cells[0]]
                report["instances"].append(row)
    return report


def text_report_estimate(text: str) -> ResourceEstimate:
    """The report's totals as a ``csynth`` estimate (latency: the worst case), like hls4ml's ``.xml`` route."""
    report = parse_csynth_rpt(text)
    total, clock, cycles = report["total"], report["clock_target_ns"], report["latency_max"]
    notes = [f"estimated clock period {report['clock_estimated_ns']} ns (target {clock} ns)",
             f"latency best {report['latency_min']} / worst {cycles} cycles", "read from the .rpt text"]
    return ResourceEstimate.from_values("csynth", notes=notes, lut=total["lut"], dsp=total["dsp"], ff=total["ff"],
                                        bram_18k=total["bram_18k"], latency_cycles=cycles, latency_ns=cycles * clock,
                                        ii=report["interval_max"])
