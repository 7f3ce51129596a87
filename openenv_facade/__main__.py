"""``python -m openenv_facade [--host H] [--port P] ...``: run the server (as ``amongus serve``)."""

from openenv_facade.cli import main

raise SystemExit(main())
