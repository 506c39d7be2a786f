"""The `rapport` console command: a thin front to Django's management commands.

rapport demo --size small|medium|large [--seed N]
rapport serve [--production]
rapport createuser --email … --name … --role …
rapport token --email …
rapport worker            (background jobs; first fails the runs whose worker died)
rapport rerun RUN_ID [--now]  (run a finished or failed run again)
rapport import interactions FILE [--format csv|eml|mbox|ics] [--dry-run] [--as EMAIL]
rapport import accounts|contacts|orders|subscriptions|catalog|prices FILE [--mapping COL=FIELD]
               [--dry-run] [--mode all|good] [--errors REPORT.csv]
rapport export LIST [--format csv|xlsx] [-o FILE] [--filter NAME=VALUE]
rapport recompute-cadence (learn rhythms, flag accounts gone quiet)
rapport recompute [--only value|tiers|segments] [--enqueue]  (value, tiers, needs segments)
rapport replenish [--enqueue]  (next order per organisation and category; what is due)
rapport dedupe [--kind contacts|accounts] [--auto-merge-above 0.99] [--keys]  (duplicates)
rapport <any manage.py command>
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    "setup-demo": "setup_demo",
    "recompute-cadence": "recompute_cadence",
}


def main(argv: list[str] | None = None) -> None:
    """Run a management command named by the first argument."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    execute_from_command_line(["rapport", *args])


if __name__ == "__main__":
    main()
