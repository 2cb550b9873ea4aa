"""`python -m bench` runs every benchmark module of this folder; `python -m bench report` runs one."""
import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    names = argv or sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                           if not m.name.startswith("_"))
    for name in names:
        print(f"== bench.{name}")
        importlib.import_module(f"bench.{name}").main([])


if __name__ == "__main__":
    main(sys.argv[1:])
