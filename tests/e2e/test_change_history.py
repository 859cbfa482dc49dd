"""Issue 28, change history as authority: with Route 53's change history on, a batch whose
answer was lost is found there by its comment's token and confirmed INSYNC by its change id;
`status` says who last wrote each application, and who failed over, from that history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_policy
from tests.e2e.conftest import RunCli, latency_map

pytestmark = pytest.mark.e2e

CHANGE = "ChangeResourceRecordSets"
HISTORY = "ListHostedZoneChangeBatches"


def test_a_lost_answer_ends_with_a_confirmed_change_id(
    aws: Any, zone: str, run_cli: RunCli, tmp_path: Path
) -> None:
    write_policy(tmp_path)
    aws.change_history.enable(zone)
    aws.change_history.lag_reads = 1  # the first lookup misses it: history lags
    aws.reset_log()
    aws.inject_lost_response(CHANGE)
    result = run_cli("apply", "--yes", "--output", "json")
    assert result.returncode == 0, result.stderr
    assert len(latency_map(aws, zone)) == 34
    [batch] = json.loads(result.stdout)["batches"]
    [landed] = aws.change_history.batches(zone)
    print(result.stderr, aws.operations(), landed["Comment"])
    assert batch["change_id"] == landed["ChangeId"]
    assert batch["insync"] is True and batch["found_in_history"] is True
    assert batch["response_lost"] is False
    print(aws.operations())
