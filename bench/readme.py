"""The README's Speed section, rebuilt from saved benchmark outputs.

    python -m bench.readme [bench/results/*.txt] [--readme README.md] [--check]

Reads the MACHINE, RATIO and FIGURE lines (bench/_output.py) of each output file (default: every .txt file in
bench/results/) and rewrites what lies between `<!-- speed:start -->` and `<!-- speed:end -->` in the README:
one table of every ratio and figure, where each came from, and the machine of each file. Save an output with
`python -m bench report ... | tee bench/results/<name>.txt`. --check changes nothing and fails when the
section is not what the files give (a test runs it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench._output import parse_line, parse_machine

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
START, END = "<!-- speed:start -->", "<!-- speed:end -->"
#: context words shown in the "size" column, in this order
SIZE_KEYS = ("returnees", "records", "users", "rows")
#: context words that say how a figure was measured rather than under which conditions
TIME_KEYS = ("app_best", "naive_best", "median_ratio", "paired_median", "rounds")


def read_results(paths: list[Path]) -> list[dict]:
    """Each file's machine and lines: {"file", "machine", "lines"}, in file-name order."""
    results = []
    for path in sorted(paths, key=lambda p: p.name):
        text = path.read_text(encoding="utf-8").splitlines()
        lines = [parsed for parsed in map(parse_line, text) if parsed]
        results.append({"file": path.name, "machine": parse_machine(text), "lines": lines})
    return results


def _size(context: dict) -> str:
    words = [f"{context[key]} {key}" for key in SIZE_KEYS if key in context]
    return ", ".join(words) or "-"


def _details(line: dict) -> str:
    context = line["context"]
    words = []
    if "app_best" in context and "naive_best" in context:
        words.append(
            f"app {context['app_best'].removesuffix('s')} s, naive {context['naive_best'].removesuffix('s')} s (best)"
        )
    if "median_ratio" in context:
        words.append(f"median ratio {context['median_ratio']}")
    if "paired_median" in context:
        words.append(f"median of the rounds' ratios {context['paired_median']}")
    if "rounds" in context:
        words.append(f"{context['rounds']} rounds")
    shown = set(SIZE_KEYS) | set(TIME_KEYS) | {"database"}
    words += [f"{key} {value.replace('_', ' ')}" for key, value in context.items() if key not in shown]
    return "; ".join(words) or "-"


def _target(line: dict) -> str:
    if line["target"] is None:
        return "-"
    verdict = "met" if line["verdict"] == "met" else "**missed**"
    return f"{line['direction']} {line['target']:g}: {verdict}"


def _value(line: dict) -> str:
    if line["kind"] == "RATIO":
        return f"**{line['value']:.2f}**"
    return f"{line['value']:g} {line['unit']}"


def _seconds(text: str | None) -> float | None:
    try:
        return float(text.removesuffix("s")) if text else None
    except ValueError:
        return None


def scaling_rows(results: list[dict]) -> list[str]:
    """For a ratio measured on the same database at two sizes: how the time grew against the data (issue 15:
    10x the data costs at most 10x the time). From separate runs, so as noisy as absolute times."""
    by_key: dict[tuple[str, str], list[tuple[int, dict, str]]] = {}
    for result in results:
        for line in result["lines"]:
            context = line["context"]
            if line["kind"] != "RATIO" or "records" not in context or "app_best" not in context:
                continue
            records = int(context["records"].replace(",", ""))
            by_key.setdefault((line["name"], context.get("database", "")), []).append((records, line, result["file"]))
    rows = []
    for (name, database), measured in sorted(by_key.items()):
        measured.sort(key=lambda item: item[0])
        for (small, small_line, small_file), (large, large_line, large_file) in zip(measured, measured[1:]):
            if large == small:
                continue
            growth = large / small
            for side in ("app", "naive"):
                before, after = (
                    _seconds(small_line["context"].get(f"{side}_best")),
                    _seconds(large_line["context"].get(f"{side}_best")),
                )
                if not before or not after:
                    continue
                factor = after / before
                verdict = "met" if factor <= growth else "**missed**"
                rows.append(
                    f"| {name} {side} time x{growth:g} data | **{factor:.1f}x** | <= {growth:g}x: {verdict}"
                    f" | {database} | {small:,} -> {large:,} records | {before:.2f} s -> {after:.2f} s"
                    f" | {small_file}, {large_file} |"
                )
    return rows


def machine_text(machine: dict) -> str:
    parts = [machine.get("date", "date unknown")]
    if "cpu" in machine:
        parts.append(f"{machine['cpu']}, {machine.get('cores', '?')} cores, {machine.get('ram', '?')} RAM")
    if "load" in machine:
        parts.append(f"load {machine['load']}" + (f", {machine['load_end']}" if "load_end" in machine else ""))
    if "database" in machine:
        parts.append(machine["database"])
    if "python" in machine:
        parts.append(f"Python {machine['python']}")
    if "os" in machine:
        parts.append(machine["os"])
    return "; ".join(parts)


def render(results: list[dict]) -> str:
    lines = [START, "<!-- written by `python -m bench.readme` from bench/results/*.txt: edit those, not this -->", ""]
    lines += ["| measured | value | target | database | size | details | output |", "|---|---|---|---|---|---|---|"]
    for result in results:
        for line in result["lines"]:
            quotient = f" {line['quotient']}" if line["quotient"] else ""
            lines.append(
                f"| {line['name']}{quotient} | {_value(line)} | {_target(line)}"
                f" | {line['context'].get('database', '-')} | {_size(line['context'])} | {_details(line)}"
                f" | {result['file']} |"
            )
    scaling = scaling_rows(results)
    lines += scaling
    if scaling:
        lines += [
            "",
            "The `x10 data` rows compare the best times of two separate runs, each under its own load (see"
            " the load averages below): read them as roughly as absolute times.",
        ]
    lines += ["", "Where and how each output was measured (files in `bench/results/`):", ""]
    for result in results:
        machine = result["machine"]
        command = f": `{machine['command']}`" if "command" in machine else ""
        lines.append(f"- `{result['file']}`{command}; {machine_text(machine)}")
    lines += ["", END]
    return "\n".join(lines)


def replace_section(readme: str, section: str) -> str:
    if readme.count(START) != 1 or readme.count(END) != 1 or readme.index(START) > readme.index(END):
        raise SystemExit(f"the README needs exactly one {START} ... {END} pair")
    return readme[: readme.index(START)] + section + readme[readme.index(END) + len(END) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outputs", nargs="*", type=Path, help="saved outputs (default: bench/results/*.txt)")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--check", action="store_true", help="fail if the section is not up to date")
    options = parser.parse_args(argv)
    paths = options.outputs or sorted(RESULTS.glob("*.txt"))
    readme = options.readme.read_text(encoding="utf-8")
    updated = replace_section(readme, render(read_results(paths)))
    if options.check:
        if updated != readme:
            print(
                f"{options.readme}: the Speed section is not what {len(paths)} outputs give; run "
                "`python -m bench.readme`",
                file=sys.stderr,
            )
            return 1
        return 0
    if updated != readme:
        options.readme.write_text(updated, encoding="utf-8")
        print(f"{options.readme}: Speed section rewritten from {len(paths)} outputs")
    else:
        print(f"{options.readme}: Speed section already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
