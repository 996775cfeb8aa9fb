"""`python -m ernie_aiml_cli`: the `ernie-aiml` command."""

import sys

from .app import main

sys.exit(main())
