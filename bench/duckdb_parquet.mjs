#!/usr/bin/env node
/*
 * bench/duckdb_parquet.mjs: DuckDB (@duckdb/node-api, pinned by tests/node/package-lock.json)
 * for bench/parquet.sh.
 *
 *   node duckdb_parquet.mjs convert CSV OUT [single|hour|day]
 *       the rows of CSV (PostgreSQL's COPY ... (FORMAT csv, HEADER) of analytics.events, as
 *       `ebb generate` makes it) to Parquet + zstd: one file OUT (single), or the directory OUT
 *       with one file per hour (dt=YYYY-MM-DD/hour=HH, ebb's layout) or per day (dt=...);
 *       the partition columns are not written into the files. Prints the rows written.
 *   node duckdb_parquet.mjs count PATH
 *       count(*) over the .parquet file PATH or every .parquet file under the directory PATH,
 *       read with hive_partitioning (ebb's objects); the number of row groups in them; the
 *       bytes of their column chunks (compressed pages, footers excluded). Prints ROWS GROUPS
 *       BYTES.
 *
 * DuckDB runs with its defaults (threads = the machine's cores, zstd level 3, row groups of
 * 122880 rows), in memory; the session time zone is UTC. One exception, so that a partition
 * is one file: partitioned_write_max_open_files. At its default (100) DuckDB closes a
 * partition's file when more are open and starts a second file if rows of that partition
 * come later, as they do when its two threads read the CSV in interleaved chunks (678 files
 * for 673 hours in a trial). Exit status: 0; 1 on an error.
 */

import path from 'path';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const requireTestModule = createRequire(path.join(HERE, '..', 'tests', 'node', 'package.json'));
const { DuckDBInstance } = requireTestModule('@duckdb/node-api');

// The table's columns with the DuckDB types equal to PostgreSQL's (src/cmd/generate_sql.c,
// generate_expected_shape; bench/parquet.sh checks the table has exactly these): integer,
// timestamp without time zone, varchar(255) x 4, jsonb x 2.
const COLUMNS = {
  id: 'INTEGER',
  triggered_at: 'TIMESTAMP',
  name: 'VARCHAR',
  os: 'VARCHAR',
  platform: 'VARCHAR',
  device: 'VARCHAR',
  user_details: 'JSON',
  data: 'JSON',
};

const PARTITIONS = {
  single: { select: '', by: null },
  hour: {
    select: ", strftime(triggered_at, '%Y-%m-%d') AS dt, strftime(triggered_at, '%H') AS hour",
    by: 'dt, hour',
  },
  day: { select: ", strftime(triggered_at, '%Y-%m-%d') AS dt", by: 'dt' },
};

const quote = (s) => "'" + s.replaceAll("'", "''") + "'";

function convertSql(csv, out, layout) {
  const p = PARTITIONS[layout];
  if (!p) throw new Error(`unknown layout "${layout}" (single, hour or day)`);
  const columns = Object.entries(COLUMNS).map(([c, t]) => `${quote(c)}: ${quote(t)}`).join(', ');
  const options = ['FORMAT parquet', 'COMPRESSION zstd'];
  if (p.by) options.push(`PARTITION_BY (${p.by})`);
  return `COPY (SELECT *${p.select} FROM read_csv(${quote(csv)}, header = true,` +
    ` columns = {${columns}})) TO ${quote(out)} (${options.join(', ')})`;
}

async function main(argv) {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  await con.run("SET TimeZone = 'UTC'");
  if (argv[0] === 'convert' && (argv.length === 3 || argv.length === 4)) {
    await con.run('SET partitioned_write_max_open_files = 100000');
    const reader = await con.runAndReadAll(convertSql(argv[1], argv[2], argv[3] || 'single'));
    // COPY ... TO answers with one row: the number of rows written
    return String(reader.getRows()[0][0]);
  }
  if (argv[0] === 'count' && argv.length === 2) {
    const glob = quote(argv[1].endsWith('.parquet') ? argv[1] : path.join(argv[1], '**', '*.parquet'));
    const rows = await con.runAndReadAll(
      `SELECT count(*) FROM read_parquet(${glob}, hive_partitioning = true)`);
    const meta = await con.runAndReadAll(
      `SELECT count(DISTINCT (file_name, row_group_id)), sum(total_compressed_size)
       FROM parquet_metadata(${glob})`);
    return [rows.getRows()[0][0], ...meta.getRows()[0]].join(' ');
  }
  throw new Error('usage: duckdb_parquet.mjs convert CSV OUT [single|hour|day] | count PATH');
}

try {
  process.stdout.write((await main(process.argv.slice(2))) + '\n');
} catch (e) {
  process.stderr.write(`duckdb_parquet: ${e.message}\n`);
  process.exitCode = 1;
}
