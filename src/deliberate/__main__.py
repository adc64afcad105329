import sys

from deliberate.cli import main

sys.exit(main())
