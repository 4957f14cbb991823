"""The workshop's section 8 (fine-grained access control, seed 002) verbatim through unmodified
boto3 ``redshift-data`` against a real server: the admin creates the table, the roles, grants and
RLS policies; alice and bob (as DbUser, and by SET SESSION AUTHORIZATION in the admin's session)
each see exactly their columns and rows; ``SELECT *`` is denied to both."""

from __future__ import annotations

from botocore.exceptions import ClientError
from e2e_helpers import finish_statement

ADMIN = {"ClusterIdentifier": "local", "Database": "dev"}
COLUMNS = ("nodokjdi", "tgldokjdi", "sup_name", "dept_name", "group_kalbe", "namacab", "city", "kodecab", "amount")
SUPPLIERS = ("PT. SANGHIANG PERKASA", "HEXPHARM", "OTHER SUPPLIER")
ROWS = [(f"D{i:03d}", f"2023-01-{i % 28 + 1:02d}", SUPPLIERS[i % 3], f"dept{i % 4}", f"grp{i % 2}", f"cab{i % 5}",
         f"city{i % 6}", f"K{i % 5}", str(100 + i)) for i in range(30)]
ALICE_COLUMNS = ["tgldokjdi", "sup_name", "dept_name", "group_kalbe", "namacab"]
BOB_COLUMNS = ["nodokjdi", "city", "tgldokjdi", "sup_name", "dept_name"]

# section 8, step by step, as the workshop writes it
CONFIGURE_USERS = """CREATE ROLE supplier_1;
CREATE ROLE supplier_2;

CREATE USER alice WITH PASSWORD 'Awsuser123';
CREATE USER bob WITH PASSWORD 'Awsuser123';

GRANT ROLE supplier_1 to alice;
GRANT ROLE supplier_2 to bob;

GRANT usage on schema klb_rs TO ROLE supplier_1;
GRANT usage on schema klb_rs TO ROLE supplier_2;"""
COLUMN_GRANTS = """GRANT select(tgldokjdi, sup_name,dept_name,group_kalbe,namacab) 
ON TABLE klb_rs.sales_consolidate TO ROLE supplier_1;

GRANT select(nodokjdi,city,tgldokjdi, sup_name,dept_name) 
ON TABLE klb_rs.sales_consolidate TO ROLE supplier_2;"""  # noqa: W291 - the workshop's trailing blanks
RLS = """CREATE RLS POLICY policy_supplier_1
WITH ( sup_name varchar(16383) )
USING ( sup_name = 'PT. SANGHIANG PERKASA' );

CREATE RLS POLICY policy_supplier_2
WITH ( sup_name varchar(16383) )
USING ( sup_name = 'HEXPHARM' );

ATTACH RLS POLICY policy_supplier_1 ON klb_rs.sales_consolidate TO ROLE supplier_1;
ATTACH RLS POLICY policy_supplier_2 ON klb_rs.sales_consolidate TO ROLE supplier_2;

ALTER TABLE klb_rs.sales_consolidate row level security on;"""


def run(rsd, sql: str, **target) -> dict:
    r = rsd.execute_statement(Sql=sql, **(target or ADMIN))
    d = finish_statement(rsd, r["Id"])
    d["SessionId"] = r.get("SessionId") or target.get("SessionId")
    return d


def ok(rsd, sql: str, **target) -> tuple[list[str], list[tuple]]:
    d = run(rsd, sql, **target)
    assert d["Status"] == "FINISHED", (sql, d.get("Error"))
    if not d["HasResultSet"]:
        return [], []
    result = rsd.get_statement_result(Id=d["Id"])
    rows = [tuple(next(iter(v.values())) for v in rec) for rec in result["Records"]]
    return [c["name"] for c in result["ColumnMetadata"]], rows


def denied(rsd, sql: str, **target) -> None:
    d = run(rsd, sql, **target)
    assert d["Status"] == "FAILED", sql
    assert d["Error"].startswith("permission denied"), d["Error"]


def each(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def test_workshop_section_8_through_boto3(stepline_server):
    rsd = stepline_server.client("redshift-data")
    ok(rsd, "CREATE SCHEMA klb_rs")
    ok(rsd, "CREATE TABLE klb_rs.sales_consolidate (" + ", ".join(f"{c} varchar(100)" for c in COLUMNS) + ")")
    values = ", ".join("(" + ", ".join(f"'{v}'" for v in row) + ")" for row in ROWS)
    ok(rsd, f"INSERT INTO klb_rs.sales_consolidate VALUES {values}")

    # 2. users and roles, 3. column grants (each block as one call, the way the editor runs it)
    ok(rsd, CONFIGURE_USERS)
    ok(rsd, COLUMN_GRANTS)

    # 3. impersonation in the admin's session: SELECT * is denied to both
    session = run(rsd, "SET SESSION AUTHORIZATION alice;", SessionKeepAliveSeconds=300, **ADMIN)
    assert session["Status"] == "FINISHED"
    sid = {"SessionId": session["SessionId"]}
    denied(rsd, "select * from klb_rs.sales_consolidate;", **sid)
    ok(rsd, "SET SESSION AUTHORIZATION bob;", **sid)
    denied(rsd, "select * from klb_rs.sales_consolidate;", **sid)
    ok(rsd, "RESET SESSION AUTHORIZATION;", **sid)
    cols, rows = ok(rsd, "select * from klb_rs.sales_consolidate;", **sid)  # awsuser again
    assert cols == list(COLUMNS) and len(rows) == len(ROWS)

    # each user sees exactly its columns, as DbUser
    for user, granted in (("alice", ALICE_COLUMNS), ("bob", BOB_COLUMNS)):
        target = {**ADMIN, "DbUser": user}
        cols, rows = ok(rsd, f"select {', '.join(granted)} from klb_rs.sales_consolidate", **target)
        assert cols == granted and len(rows) == len(ROWS)
        denied(rsd, "select * from klb_rs.sales_consolidate", **target)
        denied(rsd, "select amount from klb_rs.sales_consolidate", **target)
        table = rsd.describe_table(Schema="klb_rs", Table="sales_consolidate", **target)
        assert sorted(c["name"] for c in table["ColumnList"]) == sorted(granted)

    # 4. row-level security
    for sql in each(RLS):
        ok(rsd, sql + ";")
    expected = {"alice": ("PT. SANGHIANG PERKASA", ALICE_COLUMNS), "bob": ("HEXPHARM", BOB_COLUMNS)}
    for user, (supplier, granted) in expected.items():
        ok(rsd, f"SET SESSION AUTHORIZATION {user};", **sid)
        denied(rsd, "SELECT * from klb_rs.sales_consolidate;", **sid)
        cols, rows = ok(rsd, "select count(*), sup_name from klb_rs.sales_consolidate group by sup_name;", **sid)
        assert rows == [(sum(1 for r in ROWS if r[2] == supplier), supplier)]
        _, rows = ok(rsd, f"select {', '.join(granted)} from klb_rs.sales_consolidate",
                     **{**ADMIN, "DbUser": user})
        assert {r[granted.index("sup_name")] for r in rows} == {supplier}

    # 5. back to awsuser, RLS off
    ok(rsd, "RESET SESSION AUTHORIZATION;", **sid)
    ok(rsd, "ALTER TABLE klb_rs.sales_consolidate ROW LEVEL SECURITY OFF;", **sid)
    _, rows = ok(rsd, "select count(*) from klb_rs.sales_consolidate", **sid)
    assert rows == [(len(ROWS),)]

    # the passwords of section 8 never show in the statement texts
    texts = [s.get("QueryString", "") for s in rsd.list_statements(Status="ALL")["Statements"]]
    assert any("CREATE USER alice" in t for t in texts) and not any("Awsuser123" in t for t in texts)


def test_a_mapped_principal_acts_only_as_its_users(serve_project, monkeypatch):
    monkeypatch.setenv("E2E_KEY_ALICE", "alice-secret")
    monkeypatch.setenv("E2E_KEY_ADMIN", "admin-secret")
    server = serve_project('''
[[server.access_keys]]
access_key_id = "AKIAALICE"
secret_access_key_env = "E2E_KEY_ALICE"
db_users = ["alice"]

[[server.access_keys]]
access_key_id = "AKIAADMIN"
secret_access_key_env = "E2E_KEY_ADMIN"
db_users = ["*"]
''')
    admin = server.client("redshift-data", key="AKIAADMIN", secret="admin-secret")
    alice = server.client("redshift-data", key="AKIAALICE", secret="alice-secret")
    ok(admin, "CREATE USER alice PASSWORD 'Alice1234'")
    ok(alice, "select 1", **{**ADMIN, "DbUser": "alice"})
    try:
        alice.execute_statement(Sql="select 1", **ADMIN)  # no DbUser: the superuser
        raise AssertionError("alice acted as the superuser")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "AccessDeniedException"
