"""``python -m benchmarks``: run every workload and print the table (see ``run.py``)."""

from benchmarks.run import main

raise SystemExit(main())
