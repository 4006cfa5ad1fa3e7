"""`python -m rag`: the `rag` command."""

import sys

from .cli import main

sys.exit(main())
