"""A customer's dump is split and checked before anything is loaded: one database, nothing server-wide."""

import gzip

import pytest

from pocflow.local.customer.dump import DumpError, check, dump_files, read_dump, split_statements

MYSQLDUMP = """-- MySQL dump 10.13
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
SET @MYSQLDUMP_TEMP_LOG_BIN = @@SESSION.SQL_LOG_BIN;
SET @@SESSION.SQL_LOG_BIN= 0;
SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'a7c1:1-5';
CREATE DATABASE /*!32312 IF NOT EXISTS*/ `acme` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci */;
USE `acme`;
CREATE TABLE `t` (
  `a` int NOT NULL, -- a; comment
  `b` varchar(10) DEFAULT 'x;y' /* ; */
);
INSERT INTO `t` VALUES (1,'it\\'s;'),(2,"b;`");
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW
BEGIN SET NEW.a = 1; END */;;
DELIMITER ;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=`root`@`%` SQL SECURITY DEFINER */
/*!50001 VIEW `v` AS select 1 AS `x` */;
SET @@SESSION.SQL_LOG_BIN = @MYSQLDUMP_TEMP_LOG_BIN;
"""


def statements(text, db="acme"):
    return check(split_statements(text, "dump.sql"), db)


def test_statements_start_where_their_sql_starts_and_honour_quotes_comments_and_delimiters():
    found = [(s.line, s.text.split()[0]) for s in split_statements(MYSQLDUMP, "dump.sql")]
    assert [line for line, _ in found] == [2, 3, 4, 5, 6, 7, 8, 12, 14, 17, 20]
    insert = next(s for s in split_statements(MYSQLDUMP) if s.text.startswith("INSERT"))
    assert insert.text == "INSERT INTO `t` VALUES (1,'it\\'s;'),(2,\"b;`\")"
    trigger = next(s for s in split_statements(MYSQLDUMP) if "TRIGGER" in s.text)
    assert trigger.text.endswith("END */") and "SET NEW.a = 1;" in trigger.text


def test_the_database_itself_definers_and_gtid_lines_are_left_out_with_notes():
    checked = statements(MYSQLDUMP)
    texts = [s.text for s in checked.statements]
    assert not any("SQL_LOG_BIN" in t or "GTID_PURGED" in t or "USE" in t.split()[:1] for t in texts)
    assert not any("CREATE DATABASE" in t or "DEFINER=" in t for t in texts)
    assert any("SQL SECURITY DEFINER" in t for t in texts)  # only the DEFINER= clause goes
    assert checked.database_options == "DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci"
    assert len(checked.notes) == 2


@pytest.mark.parametrize(
    "bad, message",
    [
        (
            "SET GLOBAL max_connections = 5;",
            "dump.sql line 3: `SET GLOBAL max_connections ...` cannot be loaded: SET GLOBAL needs SUPER",
        ),
        ("/*!40101 SET @@GLOBAL.read_only = 1 */;", "needs SUPER"),
        ("CREATE USER 'x'@'%';", "accounts and grants"),
        ("GRANT SELECT ON *.* TO x;", "accounts and grants"),
        ("CHANGE REPLICATION SOURCE TO SOURCE_HOST='h';", "replication"),
        ("INSTALL PLUGIN x SONAME 'x.so';", "server administration"),
        ("SELECT 1 INTO OUTFILE '/tmp/x';", "FILE privilege"),
        ("CREATE DATABASE other;", "dump.sql line 3: the dump creates database `other`, not `acme`"),
        ("USE `other`;", "switches to database `other`"),
        ("DROP DATABASE IF EXISTS other;", "drops database `other`"),
        ("INSERT INTO `other`.`t` VALUES (1);", "writes to database `other`"),
        ("CREATE TABLE other.t (a int);", "writes to database `other`"),
    ],
)
def test_a_dump_reaching_beyond_its_database_is_refused_in_one_line(bad, message):
    with pytest.raises(DumpError) as e:
        statements("-- header\n\n" + bad + "\n")
    assert message in str(e.value) and "\n" not in str(e.value)


def test_its_own_database_qualified_and_a_literal_that_looks_like_a_statement_are_fine():
    checked = statements("INSERT INTO acme.t VALUES ('SET GLOBAL x=1; GRANT');\nCREATE TABLE `acme`.u (a int);")
    assert len(checked.statements) == 2


def test_gzip_files_and_mydumper_folders_are_read_in_loading_order(tmp_path):
    (tmp_path / "one.sql.gz").write_bytes(gzip.compress(b"CREATE TABLE a (x int);\nINSERT INTO a VALUES (1);\n"))
    assert [s.text for s in read_dump(tmp_path / "one.sql.gz", "acme").statements] == [
        "CREATE TABLE a (x int)",
        "INSERT INTO a VALUES (1)",
    ]
    folder = tmp_path / "mydumper"
    folder.mkdir()
    for name in (
        "acme-schema-create.sql",
        "acme.a-schema.sql",
        "acme.a.00000.sql",
        "acme.v-schema-view.sql",
        "acme.a-schema-triggers.sql",
        "acme.b-schema.sql",
        "acme.b.00001.sql.gz",
        "metadata",
    ):
        (folder / name).write_text("")
    assert [p.name for p in dump_files(folder)] == [
        "acme-schema-create.sql",
        "acme.a-schema.sql",
        "acme.b-schema.sql",
        "acme.a.00000.sql",
        "acme.b.00001.sql.gz",
        "acme.v-schema-view.sql",
        "acme.a-schema-triggers.sql",
    ]


def test_a_missing_dump_is_one_line(tmp_path):
    with pytest.raises(DumpError, match="no such file"):
        read_dump(tmp_path / "nope.sql", "acme")
