"""python -m advisory_site"""

from advisory_site.commands.cli import main

raise SystemExit(main())
