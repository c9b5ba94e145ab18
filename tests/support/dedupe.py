"""An independent reading of the de-duplication rule (state/staging.py), for tests that predict what a
sync leaves in Sakari: among rows with one mobile, the greatest (cursor_sort, source_key) wins."""

from __future__ import annotations

import pandas as pd


def split_winners(valid: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(winners, losers) of transformed rows, each in their original order."""
    ranked = valid.sort_values(["cursor_sort", "source_key"], kind="stable")
    won = ranked.drop_duplicates("mobile", keep="last").index
    return valid.loc[sorted(won)].reset_index(drop=True), valid.drop(index=won).reset_index(drop=True)
