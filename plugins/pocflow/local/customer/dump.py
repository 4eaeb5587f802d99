"""A customer's dump, read before anything is loaded: its statements with the line each starts on, and what it
would do beyond creating one database's objects and rows.

Accepted: mysqldump / mysqlpump SQL (plain or ``.gz``) and mydumper folders. What is decided here:

- ``CREATE DATABASE``, ``USE`` and ``DROP DATABASE`` of the database being added are left out (the stack creates it
  and loads into it); naming any other database, or writing to ``other.table``, refuses the dump.
- ``DEFINER=`` clauses are left out, with a note, as PlanetScale's import advises: the database's own loading account
  becomes the definer of its views, triggers and routines.
- mysqldump's ``SQL_LOG_BIN`` and ``GTID_PURGED`` lines are left out, with a note: the rehearsal source binlogs the
  load (the import reads it) and keeps its own GTID history.
- Statements that need SUPER or another server-wide privilege (``SET GLOBAL``, accounts and grants, replication,
  plugins, tablespaces, files on the server) refuse the dump: a PlanetScale database grants none of them either.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pocflow.local.stack.process import StackError


class DumpError(StackError):
    """A dump that cannot be loaded; the message is one line naming the file and line (the CLI prints it as such)."""


@dataclass(frozen=True)
class Statement:
    file: str
    line: int
    """The line the statement starts on (its first character that is not blank or a comment)."""
    text: str


@dataclass
class CheckedDump:
    statements: list[Statement]
    """What to run, in order, with the clauses and lines this module leaves out already removed."""
    notes: list[str] = field(default_factory=list)
    database_options: str = ""
    """The character set and collation of the dump's own CREATE DATABASE of the database, if it has one."""


_QUOTE_END = {"'": re.compile(r"\\.|'", re.DOTALL), '"': re.compile(r'\\.|"', re.DOTALL), "`": re.compile("`")}
_DELIMITER_COMMAND = re.compile(r"\s*delimiter\s+(\S+)", re.IGNORECASE)


def split_statements(text: str, file: str = "dump.sql") -> Iterator[Statement]:
    """The statements of SQL text as the mysql client sees them: quotes, comments and DELIMITER honoured."""
    delimiter = ";"
    normal = _normal_pattern(delimiter)
    quote: str | None = None
    in_comment = False
    parts: list[str] = []
    first, start = 1, None  # the line the text in ``parts`` begins on; the line the statement begins on
    for lineno, line in enumerate(text.splitlines(keepends=True), 1):
        if quote is None and not in_comment and start is None:
            m = _DELIMITER_COMMAND.match(line)
            if m:
                delimiter = m.group(1)
                normal = _normal_pattern(delimiter)
                parts, first = [], lineno + 1
                continue
        i, seg, n = 0, 0, len(line)
        while i < n:
            if in_comment:
                j = line.find("*/", i)
                if j < 0:
                    break
                i, in_comment = j + 2, False
                continue
            if quote is not None:
                m = _QUOTE_END[quote].search(line, i)
                if m is None:
                    break
                i = m.end()
                if m.group() == quote:
                    quote = None
                continue
            m = normal.search(line, i)
            if m is None:
                if line[i:].strip() and start is None:
                    start = lineno
                break
            if line[i : m.start()].strip() and start is None:
                start = lineno
            token = m.group()
            if token in _QUOTE_END:
                start = lineno if start is None else start
                quote, i = token, m.end()
            elif token == "/*":
                if line[m.end() : m.end() + 1] in ("!", "+"):  # executable comment or optimizer hint: SQL
                    start = lineno if start is None else start
                else:
                    in_comment = True
                i = m.end()
            elif token in ("--", "#"):
                break
            else:  # the delimiter
                parts.append(line[seg : m.start()])
                if start is not None:
                    yield Statement(file, start, _from_line("".join(parts), start - first))
                parts, first, start = [], lineno, None
                i = seg = m.end()
        parts.append(line[seg:])
    if start is not None and "".join(parts).strip():
        yield Statement(file, start, _from_line("".join(parts), start - first))


def _from_line(text: str, skip: int) -> str:
    """The text without its first ``skip`` lines (blank or comments only): the server counts lines from its start."""
    return (text.split("\n", skip)[-1] if skip else text).strip()


def _normal_pattern(delimiter: str) -> re.Pattern:
    return re.compile(r"['\"`]|/\*|--(?=\s|$)|#|" + re.escape(delimiter))


# --- what a statement does ------------------------------------------------------------------------------------
_NAME = r"(`(?:[^`]|``)+`|[A-Za-z0-9_$]+)"
_DATABASE_STATEMENT = re.compile(
    r"^(?:(CREATE)\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+NOT\s+EXISTS\s+)?|(USE)\s+|(DROP)\s+(?:DATABASE|SCHEMA)\s+"
    r"(?:IF\s+EXISTS\s+)?)" + _NAME + r"(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_QUALIFIED_WRITE = re.compile(
    r"^(?:CREATE\s+(?:TEMPORARY\s+)?TABLE(?:\s+IF\s+NOT\s+EXISTS)?|ALTER\s+TABLE|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|"
    r"(?:INSERT|REPLACE)(?:\s+(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE))*(?:\s+INTO)?|TRUNCATE(?:\s+TABLE)?|"
    r"LOCK\s+TABLES?|UPDATE|DELETE\s+FROM)\s+" + _NAME + r"\s*\.\s*`?",
    re.IGNORECASE,
)
_LOG_BIN_OR_GTID = re.compile(
    r"^SET\s+(?:@MYSQLDUMP_TEMP_LOG_BIN\s*=\s*@@SESSION\.SQL_LOG_BIN|(?:@@SESSION\.|@@|SESSION\s+)?SQL_LOG_BIN\s*=|"
    r"@@GLOBAL\.GTID_PURGED\s*=)",
    re.IGNORECASE,
)
_DEFINER = re.compile(
    r"\bDEFINER\s*=\s*(?:CURRENT_USER(?:\s*\(\s*\))?|"
    r"(?:`(?:[^`]|``)*`|'(?:[^']|'')*'|[A-Za-z0-9_.$-]+)\s*@\s*"
    r"(?:`(?:[^`]|``)*`|'(?:[^']|'')*'|[A-Za-z0-9_.%$:-]+))",
    re.IGNORECASE,
)
_SERVER_WIDE = [
    (
        re.compile(
            r"^SET\s+(?:GLOBAL|PERSIST|PERSIST_ONLY)\b|^SET\s.*@@(?:GLOBAL|PERSIST|PERSIST_ONLY)\.",
            re.IGNORECASE | re.DOTALL,
        ),
        "SET GLOBAL needs SUPER (SYSTEM_VARIABLES_ADMIN)",
    ),
    (
        re.compile(
            r"^(?:GRANT|REVOKE)\b|^(?:CREATE|ALTER|DROP|RENAME)\s+(?:USER|ROLE)\b|^SET\s+(?:PASSWORD|"
            r"DEFAULT\s+ROLE)\b",
            re.IGNORECASE,
        ),
        "accounts and grants need CREATE USER and GRANT OPTION",
    ),
    (
        re.compile(
            r"^(?:CHANGE\s+(?:MASTER|REPLICATION\s+(?:SOURCE|FILTER))|START\s+(?:SLAVE|REPLICA|GROUP_REPLICATION)|"
            r"STOP\s+(?:SLAVE|REPLICA|GROUP_REPLICATION)|RESET\s+(?:MASTER|SLAVE|REPLICA|BINARY)|"
            r"PURGE\s+(?:BINARY|MASTER)\s+LOGS)\b",
            re.IGNORECASE,
        ),
        "replication statements need SUPER",
    ),
    (
        re.compile(
            r"^(?:INSTALL|UNINSTALL)\s+(?:PLUGIN|COMPONENT)|^(?:CREATE|ALTER|DROP)\s+(?:UNDO\s+)?TABLESPACE|"
            r"^(?:CREATE|ALTER|DROP)\s+SERVER|^(?:SHUTDOWN|RESTART|KILL|FLUSH)\b",
            re.IGNORECASE,
        ),
        "server administration needs SUPER",
    ),
    (
        re.compile(
            r"^LOAD\s+(?:DATA|XML)\s+(?:LOW_PRIORITY\s+|CONCURRENT\s+)?INFILE|\bINTO\s+(?:OUT|DUMP)FILE\b",
            re.IGNORECASE,
        ),
        "files on the server need the FILE privilege",
    ),
]


def _unquote(name: str) -> str:
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def _analysed(text: str) -> str:
    """The statement with its executable comments unwrapped and leading plain comments removed."""
    text = re.sub(r"/\*(?![!+]).*?\*/|(?:--\s|#)[^\n]*(?:\n|$)", " ", text, flags=re.DOTALL)
    return re.sub(r"/\*![0-9]*|\*/", " ", text).strip()


def check(statements: list[Statement] | Iterator[Statement], database: str) -> CheckedDump:
    """The statements to load into ``database``, or DumpError naming the first statement that would reach beyond
    it or needs a server-wide privilege."""
    out: list[Statement] = []
    notes: dict[str, None] = {}
    options = ""
    for st in statements:
        sql = _analysed(st.text)
        if not sql:
            continue
        where = f"{st.file} line {st.line}"
        m = _DATABASE_STATEMENT.match(sql)
        if m:
            verb = (m.group(1) or m.group(2) or m.group(3)).upper()
            name = _unquote(m.group(4))
            if name != database:
                doing = {"CREATE": "creates", "USE": "switches to", "DROP": "drops"}[verb]
                raise DumpError(
                    f"{where}: the dump {doing} database `{name}`, not `{database}`: add it as "
                    f"--database {name}, or dump only the one database without --databases"
                )
            if verb == "CREATE":
                options = " ".join(
                    re.findall(
                        r"(?:DEFAULT\s+)?(?:CHARACTER\s+SET|CHARSET|COLLATE)\s*=?\s*\w+", m.group(5), re.IGNORECASE
                    )
                )
            continue
        m = _QUALIFIED_WRITE.match(sql)
        if m and _unquote(m.group(1)) != database:
            raise DumpError(
                f"{where}: the dump writes to database `{_unquote(m.group(1))}`, not `{database}`: "
                f"only one database is loaded at a time"
            )
        if _LOG_BIN_OR_GTID.match(sql):
            notes[
                "left out the dump's SQL_LOG_BIN and GTID_PURGED lines: the rehearsal source binlogs the load and "
                "keeps its own GTID history"
            ] = None
            continue
        for pattern, why in _SERVER_WIDE:
            if pattern.search(sql):
                first = " ".join(sql.split()[:3])
                raise DumpError(
                    f"{where}: `{first} ...` cannot be loaded: {why}, which neither the rehearsal's "
                    f"loading account nor a PlanetScale database grants; take it out of the dump"
                )
        text = st.text
        if re.match(r"^(?:CREATE|ALTER)\b", sql, re.IGNORECASE) and _DEFINER.search(text):
            text = _DEFINER.sub("", text)
            notes[
                "left out DEFINER clauses (as PlanetScale's import advises): the database's loading account "
                "defines its views, triggers and routines"
            ] = None
        out.append(Statement(st.file, st.line, text))
    return CheckedDump(out, list(notes), options)


# --- files ----------------------------------------------------------------------------------------------------
def read_text(path: Path) -> str:
    """A dump file's text: gzip is decompressed; bytes that are not UTF-8 (BLOBs) are kept as they are."""
    if path.suffix == ".zst":
        raise DumpError(f"{path.name}: zstd-compressed files are not read; decompress them first (zstd -d)")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            return f.read().decode("utf-8", errors="surrogateescape")
    except (OSError, EOFError) as e:
        raise DumpError(f"{path.name}: cannot be read: {e}") from None


_MYDUMPER_KINDS = [
    ("-schema-create.sql", 0),
    ("-schema.sql", 1),
    ("-schema-view.sql", 3),
    ("-schema-triggers.sql", 4),
    ("-schema-post.sql", 5),
]


def _mydumper_order(name: str) -> int:
    base = re.sub(r"\.(gz|zst)$", "", name)
    for suffix, rank in _MYDUMPER_KINDS:
        if base.endswith(suffix):
            return rank
    return 2  # rows: <db>.<table>.NNNNN.sql or <db>.<table>.sql


def dump_files(path: Path) -> list[Path]:
    """The SQL files of a dump in loading order: the file itself, or a mydumper folder's schema files first (database,
    tables), then rows, views, triggers and routines."""
    if not path.exists():
        raise DumpError(f"{path}: no such file or folder")
    if path.is_file():
        return [path]
    files = [p for p in path.iterdir() if p.is_file() and re.search(r"\.sql(\.gz|\.zst)?$", p.name)]
    if not files:
        raise DumpError(f"{path}: no .sql files in the folder (a mydumper folder holds <db>.<table>-schema.sql ...)")
    return sorted(files, key=lambda p: (_mydumper_order(p.name), p.name))


def read_dump(path: Path, database: str) -> CheckedDump:
    """Every statement of the dump at ``path``, checked for loading into ``database``."""
    checked = CheckedDump([])
    for f in dump_files(path):
        part = check(split_statements(read_text(f), f.name), database)
        checked.statements += part.statements
        checked.notes += [n for n in part.notes if n not in checked.notes]
        checked.database_options = checked.database_options or part.database_options
    return checked
