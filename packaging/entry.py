"""The frozen bundle's entry point: the same `main()` as the installed `hangup-coach` command."""

import sys

from hangup_coach.__main__ import main

sys.exit(main())
