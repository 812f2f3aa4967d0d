"""``python -m compiler``: the ``zir`` command."""

import sys

from compiler.cli import main

sys.exit(main())
