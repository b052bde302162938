"""`python -m keras_acts`: see `python -m keras_acts --help`."""

import sys

from keras_acts._cli import main

sys.exit(main())
