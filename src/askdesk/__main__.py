"""Run askdesk as ``python -m askdesk``."""

from askdesk.cli import main

raise SystemExit(main())
