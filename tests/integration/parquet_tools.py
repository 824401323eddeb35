"""Reading ebb's Parquet objects back with readers independent of ebb: DuckDB
(@duckdb/node-api) and hyparquet, through tests/fixtures/parquet/pqread.mjs.
Standard library only; harness.archived_rows() loads Parquet objects with
pq_csv().

    pq_csv([path, ...])   -> [bytes]  each file as PostgreSQL CSV with a header
                                      row, for COPY ... (FORMAT csv, HEADER match)
    pq_meta(path)         -> dict     DuckDB's describe, file_metadata, schema,
                                      metadata, kv_metadata rows (BIGINT as str)
    pq_hyparquet(path)    -> [dict]   the rows as hyparquet reads them
    pq_hyparquet_meta(path) -> dict   hyparquet's decoded FileMetaData

A file that a reader cannot read raises PqreadError with the reader's message.

How DuckDB's values become PostgreSQL input (pqread.mjs renderSql): NULL is an
unquoted empty field and every other value is quoted, so '' stays ''; bytea as
\\x hex; timestamptz as UTC with '+00'; BC dates and timestamps with a trailing
' BC' (DuckDB's own casts put '(BC)' after the date); float NaN/Infinity/
-Infinity by name, finite floats as DuckDB's shortest round-trip string (-0
kept); DECIMAL(p,s) exactly at its scale; time and timestamps with all six
fraction digits; DuckDB's ±infinity dates and timestamps as 'infinity' and
'-infinity'. VARCHAR (all that ebb stores as text) passes through. A DuckDB type
without a rendering (LIST, STRUCT, MAP, TIMESTAMP_NS, TIME_NS, ...) is an error.

What Parquet read by DuckDB cannot carry back, so no oracle through it can
check (test_parquet_tools.py shows the rest round-trips):
  - timestamp/timestamptz past 294247-01-10 04:00:54.775806 (DuckDB's and
    Parquet's int64 Unix microseconds end there; PostgreSQL's go to 294276 AD).
    DuckDB's own range starts at 290309-12-22 BC, before PostgreSQL's 4713 BC.
  - ±infinity timestamps and dates: DuckDB reads the int64 (int32 for dates)
    sentinels INT64_MAX/-INT64_MAX (INT32_MAX/-INT32_MAX) as ±infinity and they
    render as 'infinity'/'-infinity'; a writer that stores other values (or
    NULL) for PostgreSQL's infinities is not caught by the reader. DuckDB's
    sentinels are not PostgreSQL's (whose epoch is 2000-01-01).
  - timetz as Parquet TIME(isAdjustedToUTC=true): the zone offset is not stored
    (DuckDB reads it back with '+00'), so it only round-trips as text.
  - interval as Parquet INTERVAL: unsigned months/days/milliseconds, so neither
    negative parts nor microseconds (DuckDB's own writer refuses negative
    intervals); it only round-trips as text.
  - numeric NaN/±Infinity, precision > 38, or an unconstrained numeric: not a
    DECIMAL (DuckDB would read DECIMAL > 38 as DOUBLE), so only as text.
  - float NaN payloads and signs: DuckDB's NaN renders as 'NaN', as PostgreSQL's.
hyparquet returns DECIMAL as a JS Number (exact to 15-17 significant digits
only); see pqread.mjs for its JSON conventions.
"""

import json
import os
import subprocess
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PQREAD = REPO_ROOT / 'tests' / 'fixtures' / 'parquet' / 'pqread.mjs'

# ebb's `compression` values for Parquet objects, and the codec each names in
# the file's ColumnMetaData (as DuckDB's parquet_metadata spells it)
PARQUET_CODECS = {'zstd': 'ZSTD', 'snappy': 'SNAPPY', 'gzip': 'GZIP', 'none': 'UNCOMPRESSED'}


class PqreadError(RuntimeError):
    pass


def _node_env():
    # a developer's NODE_OPTIONS (--require, --inspect...) must not reach the reader
    return {k: v for k, v in os.environ.items() if k != 'NODE_OPTIONS'}


def _pqread(args, input=None, timeout=600):
    proc = subprocess.run(['node', str(PQREAD)] + [str(a) for a in args], input=input,
                          capture_output=True, env=_node_env(), timeout=timeout)
    if proc.returncode != 0:
        raise PqreadError('pqread %s failed (rc %d): %s' % (
            args[0], proc.returncode, proc.stderr.decode(errors='replace').strip()))
    return proc.stdout


def pq_csv(paths):
    """Each Parquet file as PostgreSQL CSV (bytes, UTF-8, header row first), read
    by DuckDB; one Node process for all of them."""
    paths = [str(p) for p in paths]
    if not paths:
        return []
    for p in paths:
        if '\n' in p:
            raise ValueError('pq_csv: a newline in the path %r' % p)
    with tempfile.TemporaryDirectory(prefix='ebb-pqread-') as outdir:
        _pqread(['csv-many', outdir], input=''.join(p + '\n' for p in paths).encode())
        return [Path(outdir, '%d.csv' % n).read_bytes() for n in range(len(paths))]


def pq_meta(path):
    """DuckDB's view of the file: {'describe': [{name, type}], 'file_metadata':
    [row], 'schema': [row], 'metadata': [row per column chunk], 'kv_metadata':
    [{file_name, key, value, value_hex}]}; rows as dicts, BIGINT as str."""
    return json.loads(_pqread(['meta', path]))


def pq_hyparquet(path):
    """The rows as hyparquet reads them, one dict per row (BigInt as str, bytes
    as hex, timestamps as ISO strings with all their digits, JSON as text)."""
    return [json.loads(line) for line in _pqread(['hyparquet', path]).splitlines()]


def pq_hyparquet_meta(path):
    """hyparquet's decoded FileMetaData (schema, row_groups, key_value_metadata...)."""
    return json.loads(_pqread(['hyparquet-meta', path]))


DUCKDB_SQL = REPO_ROOT / 'tests' / 'fixtures' / 'parquet' / 'duckdb_sql.mjs'


def duckdb_query(script):
    """Runs a SQL script in a fresh DuckDB; the last statement's rows as dicts
    (BIGINT as str)."""
    proc = subprocess.run(['node', str(DUCKDB_SQL)], input=script.encode(),
                          capture_output=True, env=_node_env(), timeout=300)
    if proc.returncode != 0:
        raise PqreadError('duckdb_sql failed: %s' % proc.stderr.decode(errors='replace'))
    return json.loads(proc.stdout)


def sql_string(s):
    return "'" + str(s).replace("'", "''") + "'"


def page_headers(path, offset, length):
    """The page headers of the column chunk at [offset, offset+length) of the
    file, parsed by this module's own Thrift compact reader (independent of
    ebb's): [{type, uncompressed, compressed, num_values}], in order. Raises
    ValueError unless the pages tile the chunk exactly."""
    data = Path(path).read_bytes()
    pages, pos, end = [], offset, offset + length
    while pos < end:
        header, pos = _read_struct(data, pos)
        page = {'type': header[1], 'uncompressed': header[2], 'compressed': header[3],
                'num_values': (header.get(5) or header.get(7) or {}).get(1)}
        pages.append(page)
        pos += page['compressed']
    if pos != end:
        raise ValueError('%s: pages end at %d, the chunk at %d' % (path, pos, end))
    return pages


def _varint(data, pos):
    shift = value = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def _zigzag(v):
    return (v >> 1) ^ -(v & 1)


def _read_value(data, pos, ctype):
    if ctype in (1, 2):
        return ctype == 1, pos
    if ctype == 3:
        return data[pos], pos + 1
    if ctype in (4, 5, 6):
        v, pos = _varint(data, pos)
        return _zigzag(v), pos
    if ctype == 7:
        return data[pos:pos + 8], pos + 8
    if ctype == 8:
        n, pos = _varint(data, pos)
        return data[pos:pos + n], pos + n
    if ctype == 9:
        head = data[pos]
        pos += 1
        n, et = head >> 4, head & 0x0F
        if n == 15:
            n, pos = _varint(data, pos)
        items = []
        for _ in range(n):
            item, pos = _read_value(data, pos, et)
            items.append(item)
        return items, pos
    if ctype == 12:
        return _read_struct(data, pos)
    raise ValueError('thrift type %d' % ctype)


def _read_struct(data, pos):
    fields, last = {}, 0
    while True:
        b = data[pos]
        pos += 1
        if b == 0:
            return fields, pos
        ctype, delta = b & 0x0F, b >> 4
        if delta:
            fid = last + delta
        else:
            v, pos = _varint(data, pos)
            fid = _zigzag(v)
        fields[fid], pos = _read_value(data, pos, ctype)
        last = fid
