# The crash campaign's quick variant (the full one is `make crash-test`): ten seeded SIGKILL
# cycles of a private server under the mixed load of crash_campaign.py (j:true writes,
# transactions, index churn, a change-stream reader), each checked after restart, with a
# dbHash check across a clean restart; and the soak's short variant (the full one is `make
# soak`): 60 s, 300 extra connections. Exercises the campaign's code on every `make test`.

from __future__ import annotations

import random

from crash_campaign import Settings, run_campaign, run_soak


def test_crash_campaign_quick(tmp_path, figures):
    seed = random.randrange(1 << 31)
    lines: list[str] = []
    totals = run_campaign(Settings(cycles=10, seed=seed, writers=3, min_load=0.3, max_load=0.8,
                                   hash_every=5, workdir=tmp_path), out=lines.append)
    assert totals["cycles"] == 10, "\n".join(lines)
    assert totals["checked"] > 0, "\n".join(lines)
    figures(lines[-1])


def test_soak_quick(tmp_path, figures):
    """Issue 15's short soak (the full one is `make soak`): 60 s of the mixed load plus 300 more
    connections of small commands; no error, RSS within the bound set after the first
    interval, and every acknowledged write present at the end (run_soak checks all three)."""
    lines: list[str] = []
    series = run_soak(60, 15, writers=3, seed=random.randrange(1 << 31), workdir=tmp_path,
                      out=lines.append, connections=300)
    assert len(series) >= 2, "\n".join(lines)
    figures(lines[-1])
