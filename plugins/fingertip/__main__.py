"""``python -m fingertip`` — the same as the ``fingertip`` console script."""

import sys

from fingertip.cli import main

if __name__ == "__main__":
    sys.exit(main())
