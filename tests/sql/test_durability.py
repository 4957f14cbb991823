"""Exactly once across crashes: a statement accepted by ExecuteStatement but not ended when the
process died is FINISHED if its transaction committed (its commit marker is there), else run
again under the same Id when it can be; otherwise it fails with the interruption error.

The crash is reproduced the way the warehouse would see it: the statement ran for real, then
the books are put back to SUBMITTED (the process died before recording the end) and, for the
"died before the commit" case, its effects and marker are removed as the rollback would."""

from __future__ import annotations

from stepline.sql.statements import COMMIT_MARKERS, INTERRUPTED, SUBMITTED


def _as_if_crashed(h, sid: str, *, committed: bool, undo: str | None = None) -> None:
    st = h.service.books.load(sid)
    st.status, st.ended_at, st.error = SUBMITTED, None, None
    for sub in st.subs:
        sub.status = SUBMITTED
    h.service.books.save(st)
    if not committed:
        conn = h.service.backend(h.service.config.warehouse).connect()
        try:
            conn.execute(f"DELETE FROM {COMMIT_MARKERS} WHERE statement_id = '{sid}'")
            if undo:
                conn.execute(undo)
        finally:
            conn.close()
    h.reopen()


def test_a_write_that_committed_is_finished_not_run_again(h):
    h.ok("create table once (n int)")
    sid = h.ok("insert into once values (1)")["Id"]
    _as_if_crashed(h, sid, committed=True)
    d = h.finish(sid)
    assert d["Status"] == "FINISHED" and "Error" not in d
    assert h.rows("select count(*) from once") == [[1]]


def test_a_write_that_did_not_commit_runs_again_under_the_same_id(h):
    h.ok("create table again (n int)")
    sid = h.submit("insert into again values (7)", ClientToken="tok-again-1")
    assert h.finish(sid)["Status"] == "FINISHED"
    _as_if_crashed(h, sid, committed=False, undo="DELETE FROM again")
    d = h.finish(sid)
    assert d["Status"] == "FINISHED" and d["Id"] == sid
    assert h.rows("select n from again") == [[7]]
    # the ClientToken still names the same statement; a second restart changes nothing
    assert h.submit("insert into again values (7)", ClientToken="tok-again-1") == sid
    h.reopen()
    assert h.finish(sid)["Status"] == "FINISHED"
    assert h.rows("select count(*) from again") == [[1]]


def test_a_batch_that_did_not_commit_runs_again_whole(h):
    h.ok("create table batched (n int)")
    sid = h.api.call("BatchExecuteStatement", {"Sqls": ["insert into batched values (1)",
                                                        "insert into batched values (2)"],
                                               "ClusterIdentifier": "c", "Database": "dev"})["Id"]
    assert h.finish(sid)["Status"] == "FINISHED"
    _as_if_crashed(h, sid, committed=False, undo="DELETE FROM batched")
    d = h.finish(sid)
    assert d["Status"] == "FINISHED" and [s["Status"] for s in d["SubStatements"]] == ["FINISHED"] * 2
    assert h.rows("select n from batched order by n") == [[1], [2]]


def test_a_statement_with_its_own_transactions_is_not_replayed(h):
    h.ok("create table own (n int)")
    sid = h.ok("begin; insert into own values (1); commit; insert into own values (2)")["Id"]
    _as_if_crashed(h, sid, committed=False, undo="DELETE FROM own WHERE n = 2")
    d = h.finish(sid)
    # the first transaction may have committed: running it again could double it
    assert d["Status"] == "FAILED" and d["Error"] == INTERRUPTED
    assert h.rows("select n from own") == [[1]]


def test_reads_leave_no_marker_and_are_replayed(h):
    sid = h.ok("select 41 + 1 as answer")["Id"]
    conn = h.service.backend(h.service.config.warehouse).connect()
    try:
        markers = conn.execute(f"SELECT count(*) FROM {COMMIT_MARKERS} WHERE statement_id = '{sid}'").fetchall()
    finally:
        conn.close()
    assert markers == [(0,)]
    _as_if_crashed(h, sid, committed=False)
    assert h.finish(sid)["Status"] == "FINISHED"
    assert h.api.call("GetStatementResult", {"Id": sid})["Records"] == [[{"longValue": 42}]]
