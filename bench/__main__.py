"""`python -m bench` runs every benchmark module of this folder; `python -m bench report [options]` runs one,
passing it the options (`python -m bench report --database-url postgresql+psycopg://... --records 10000000`)."""

import importlib
import pkgutil
import sys
from pathlib import Path

#: modules of this folder that are not benchmarks: the data, the naive queries, the README's Speed section
NOT_BENCHMARKS = {"dataset", "naive_sql", "readme"}


def main(argv: list[str]) -> None:
    names = []
    while argv and not argv[0].startswith("-"):
        names.append(argv.pop(0))
    if not names:
        names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                       if not m.name.startswith("_") and m.name not in NOT_BENCHMARKS)
    for name in names:
        print(f"== bench.{name}", flush=True)
        importlib.import_module(f"bench.{name}").main(list(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
