"""The `cx` entry point, also run by `python -m cxcli`. `cx --version` is answered here, before
the CLI and its libraries are imported: scripts ask for it, and it should cost nothing."""

import sys

from . import version_line


def main() -> None:
    """Console entry point."""
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(version_line())
        return
    from .cli import main as cli

    cli()


if __name__ == "__main__":
    main()
