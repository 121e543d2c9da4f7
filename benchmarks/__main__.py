"""`make bench`: run every benchmark once and write docs/BENCHMARKS.md."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from benchmarks import invitations, matrix_votes, memory, survey_report, vote_path
from benchmarks.common import Result, machine, today
from benchmarks.keys import BENCH_KEYS  # noqa: F401 - exports SEJABOT_SECRET_KEY for the bots
from bot.local_homeserver import SynapseServer

REPORT = Path(__file__).resolve().parents[1] / "docs" / "BENCHMARKS.md"
BENCHMARKS = (
    ("memory", memory.run),
    ("vote_path", vote_path.run),
    ("invitations", invitations.run),
    ("matrix_votes", matrix_votes.run),
    ("survey_report", survey_report.run),
)


def render(results: list[Result]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench`; every figure below comes from the run named here. Goals are",
        "checked by the benchmark run, never by the test suite. Ratios compare measurements taken",
        "in the same run on the same machine.",
        "",
        f"- Date: {today()}",
        f"- Machine: {machine()}",
        "",
        "| benchmark | goal | measured | met |",
        "|---|---|---|---|",
    ]
    for result in results:
        lines.append(
            f"| {result.name} | {result.goal} | {result.measured} | {'yes' if result.met else 'NO'} |"
        )
    for result in results:
        lines += ["", f"## {result.name}", ""]
        lines += [f"- {detail}" for detail in result.details]
    return "\n".join(lines) + "\n"


async def main() -> int:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="sejabot-bench-") as scratch:
        work = Path(scratch)
        async with SynapseServer(work / "synapse") as synapse:
            for name, bench in BENCHMARKS:
                folder = work / name
                folder.mkdir()
                print(f"running {name} ...", flush=True)
                result = await bench(folder, synapse)
                print(f"  {result.measured}  (goal {result.goal})", flush=True)
                results.append(result)
    REPORT.write_text(render(results), encoding="utf-8")
    print(f"written {REPORT}")
    return 0 if all(result.met for result in results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
