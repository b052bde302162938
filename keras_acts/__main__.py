"""`python -m keras_acts`: see `python -m keras_acts --help`."""

import sys

from keras_acts._cli import main

if __name__ == "__main__":
    sys.exit(main())
