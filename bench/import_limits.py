"""What hostile import files cost: `python -m bench.import_limits`.

Builds the files of tests/hostile_files.py (a 300 KB workbook holding a 300 MB cell, a workbook row of a
million cells, a CSV of a million columns) and reads each as the import does, in a fresh process, printing
the time until it is refused and the peak resident memory of the whole process (Python, Flask and
openpyxl included) against the same process that only imported the modules."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests import hostile_files

READ = """
import resource, sys, time
from pathlib import Path
import openpyxl
from caseapp.imports.readers import Source, UnreadableFile, open_rows
path = Path(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    with open_rows(Source("returnees", path, path.name, "", workbook=path.suffix == ".xlsx")) as (_, rows):
        outcome = f"read {sum(1 for _ in rows)} rows"
except UnreadableFile as error:
    outcome = f"refused: {error}"
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{elapsed:.2f} s, peak RSS {peak / 1024:.0f} MB (modules alone {before / 1024:.0f} MB); {outcome}")
"""


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        files = {
            "huge-cell.xlsx": hostile_files.huge_cell_workbook(300),
            "wide-row.xlsx": hostile_files.wide_row_workbook(1_000_000),
            "wide.csv": hostile_files.wide_csv(1_000_000),
        }
        for name, data in files.items():
            path = Path(folder) / name
            path.write_bytes(data)
            result = subprocess.run([sys.executable, "-c", READ, str(path)], capture_output=True, text=True, check=True)
            print(f"{name} ({len(data) / 1024:,.0f} KB): {result.stdout.strip()}")


if __name__ == "__main__":
    main(sys.argv[1:])
