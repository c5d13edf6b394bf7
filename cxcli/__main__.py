"""`python -m cxcli` runs the `cx` command."""

from .cli import main

main()
