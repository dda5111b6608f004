"""The 2.0.1 log-upload sequence rule (vgitest.ocpp.transfer_checks.log_sequence_problem): conforming sequences
pass, and each way a LogStatusNotification sequence can be wrong is refused."""

from __future__ import annotations

import pytest

from vgitest.ocpp.transfer_checks import log_sequence_problem


@pytest.mark.parametrize("statuses,outcome", [
    (["Uploading", "Uploaded"], "uploaded"),
    (["Uploading", "Uploading", "Uploaded"], "uploaded"),
    (["Uploading", "UploadFailure"], "upload_failed"),
    (["Uploading", "PermissionDenied"], "upload_failed"),
    (["Uploading", "UploadFailure", "Uploading", "UploadFailure"], "upload_failed"),
])
def test_conforming_log_sequences_pass(statuses, outcome):
    assert log_sequence_problem(statuses, outcome) is None


@pytest.mark.parametrize("statuses,outcome,why", [
    (["Uploaded"], "uploaded", "must start with Uploading"),
    ([], "uploaded", "must start with Uploading"),
    (["Uploading"], "uploaded", "expected Uploading → Uploaded"),
    (["Uploading", "Idle", "Uploaded"], "uploaded", "Idle"),
    (["Uploading", "UploadFailure", "Uploaded"], "uploaded", "expected Uploading → Uploaded"),
    (["Uploading", "Uploaded"], "upload_failed", "expected Uploading and then a failure"),
    (["Uploading", "UploadFailure", "Uploading", "Uploaded"], "upload_failed", "then a failure"),
    (["Uploading"], "upload_failed", "then a failure"),
])
def test_bad_log_sequences_are_refused(statuses, outcome, why):
    problem = log_sequence_problem(statuses, outcome)
    assert problem is not None and why in problem
