"""Entry point: `python -m main [NAME]` (the runner's entrypoint runs it)."""

import sys

from lib import describe_process, greeting


def main(argv: list[str]) -> int:
    name = argv[1] if len(argv) > 1 else ""
    print(greeting(name))
    print(f"running as {describe_process()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
