"""``python -m ember.run SCRIPT.py [ARGS]``."""

import sys

from . import main

sys.exit(main())
