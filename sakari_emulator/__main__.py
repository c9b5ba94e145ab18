"""`python -m sakari_emulator [options]`: run the Sakari emulator (same options as `sakari-sync emulator`)."""

from __future__ import annotations

import argparse
import sys

from .cli import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sakari_emulator", description="Local Sakari API emulator."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
