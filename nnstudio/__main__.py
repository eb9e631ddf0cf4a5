"""`python -m nnstudio` is the same as the `nnstudio` command."""

import sys

from nnstudio.cli import main

sys.exit(main())
