"""``python -m minitorch``: the command-line trainer (the same as the ``minitorch`` command)."""

from minitorch.cli import main

raise SystemExit(main())
