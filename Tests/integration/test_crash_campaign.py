# The crash campaign's quick variant (the full one is `make crash-test`): three seeded SIGKILL
# cycles of a private server under the mixed load of crash_campaign.py (j:true writes,
# transactions, index churn, a change-stream reader), each checked after restart, with a
# dbHash check across a clean restart. Exercises the campaign's code on every `make test`.

from __future__ import annotations

import random

from crash_campaign import Settings, run_campaign


def test_crash_campaign_quick(tmp_path, figures):
    seed = random.randrange(1 << 31)
    lines: list[str] = []
    totals = run_campaign(Settings(cycles=3, seed=seed, writers=3, min_load=0.3, max_load=0.8,
                                   hash_every=3, workdir=tmp_path), out=lines.append)
    assert totals["cycles"] == 3, "\n".join(lines)
    assert totals["checked"] > 0, "\n".join(lines)
    figures(lines[-1])
