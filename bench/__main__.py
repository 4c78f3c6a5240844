"""``python -m bench [--quick] [--out DIR]``: see bench/cli.py."""

from .cli import main

main()
