"""``python -m bureau``: the same as the ``bureau`` command."""

from bureau.cli import main

main()
