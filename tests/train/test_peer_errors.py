"""A dead peer's collective errors become one line naming the worker; other errors do not."""

from __future__ import annotations

import pytest
import tensorflow as tf

from netspec.train.stopping import PeerFailed, peer_errors

ABORTED = (
    "Collective ops is aborted by: Error reported from /job:worker/task:1: The following "
    "tasks are unhealthy (stopped sending heartbeats):\n/job:worker/replica:0/task:1\n"
)


def test_a_dead_peer_is_named_in_one_line():
    with pytest.raises(PeerFailed) as failed, peer_errors(None, workers=2):
        raise tf.errors.UnavailableError(None, None, ABORTED)
    assert failed.value.message.startswith("worker 1 stopped answering")
    assert "\n" not in failed.value.message
    assert "start every worker again with --resume" in failed.value.hint


def test_a_message_without_a_task_still_says_what_happened():
    expected = "another worker of the job stopped answering"
    with pytest.raises(PeerFailed, match=expected), peer_errors(None, workers=3):
        raise tf.errors.CancelledError(None, None, "cancelled")


def test_with_one_worker_the_error_is_not_a_peers():
    with pytest.raises(tf.errors.UnavailableError), peer_errors(None, workers=1):
        raise tf.errors.UnavailableError(None, None, ABORTED)
