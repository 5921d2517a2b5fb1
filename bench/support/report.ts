import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { Workload } from './workload.js';

/** One line of the table: a transport, or the ceiling it is compared with. */
export interface Row {
  transport: string;
  messages: number;
  seconds?: number;
  msgsPerSecond?: number;
  publishSeconds?: number;
  p50Ms?: number;
  p99Ms?: number;
  ceilingMsgsPerSecond?: number;
  /** msgs/s of the transport over msgs/s of its ceiling. */
  ratio?: number;
  /** Why the row is partial or empty (timeout, failure, skipped). */
  problem?: string;
}

export interface Aim {
  description: string;
  actual: string;
  status: 'MET' | 'MISSED' | 'SKIPPED';
}

export interface Report {
  date: string;
  machine: Record<string, string | number>;
  workload: Workload;
  kafkaBroker: string;
  rows: Row[];
  aims: Aim[];
}

export function machineInfo(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

const COLUMNS: Array<[title: string, cell: (row: Row) => string]> = [
  ['transport', (row) => row.transport],
  ['messages', (row) => String(row.messages)],
  ['seconds', (row) => fixed(row.seconds, 2)],
  ['msgs/s', (row) => fixed(row.msgsPerSecond, 0)],
  ['p50 ms', (row) => fixed(row.p50Ms, 1)],
  ['p99 ms', (row) => fixed(row.p99Ms, 1)],
  ['ceiling msgs/s', (row) => fixed(row.ceilingMsgsPerSecond, 0)],
  ['ratio', (row) => (row.ratio === undefined ? '-' : `${(row.ratio * 100).toFixed(0)} %`)],
];

export function printReport(report: Report): void {
  const { workload } = report;
  console.log(
    `\nbus benchmark: ${workload.messages} messages of ${workload.payloadBytes} B, batches of ${workload.batchSize}, ` +
      `${workload.inFlight} in flight, ${workload.keys} keys; kafka: ${report.kafkaBroker}`,
  );
  console.log(
    `${report.machine.cpuCount} x ${report.machine.cpuModel}, ${report.machine.totalMemoryGiB} GiB, node ${report.machine.node}\n`,
  );
  printTable([
    COLUMNS.map(([title]) => title),
    ...report.rows.map((row) => COLUMNS.map(([, cell]) => cell(row))),
  ]);
  console.log('\nphase: first publish to last publish acknowledged');
  for (const row of report.rows) {
    if (row.publishSeconds !== undefined) {
      const rate = row.messages / row.publishSeconds;
      console.log(
        `  ${row.transport}: publish ${row.publishSeconds.toFixed(2)} s (${rate.toFixed(0)} msgs/s)`,
      );
    }
  }
  const problems = report.rows.filter((row) => row.problem);
  if (problems.length > 0) console.log('\nproblems:');
  problems.forEach((row) => console.log(`  ${row.transport}: ${row.problem}`));
  console.log('\naims:');
  report.aims.forEach((aim) => console.log(`  ${aim.status.padEnd(7)} ${aim.description}: ${aim.actual}`));
}

/** A table on stdout: the first row is the header, the first column left-aligned, figures right-aligned. */
export function printTable(rows: string[][]): void {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  rows.forEach((row, index) => {
    console.log(
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    );
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  });
}

export async function writeReport(report: object, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nfigures written to ${path.relative(process.cwd(), file) || file}`);
}

/** Writes results formatted as `npm run check` wants them: they are committed. */
export async function writeFormattedReport(report: object, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const options = (await resolveConfig(file)) ?? {};
  await writeFile(file, await format(JSON.stringify(report), { ...options, parser: 'json' }));
  console.log(`\nfigures written to ${path.relative(process.cwd(), file) || file}`);
}

export function fixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

/** A benchmark setting from the environment (the only ones a benchmark reads itself). */
export function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive whole number, got ${raw}`);
  return value;
}

/** host:port of the benchmark's database server (no database name or password), and where it came from. */
export function databaseServer(databaseUrl: string): { server: string; source: string } {
  const url = new URL(databaseUrl);
  const local = url.hostname === '127.0.0.1' && (url.port === '5432' || url.port === '');
  return {
    server: `${url.hostname}:${url.port || '5432'}`,
    source: process.env['TEST_DATABASE_URL']
      ? 'TEST_DATABASE_URL'
      : local
        ? 'local server at 127.0.0.1:5432'
        : 'embedded Postgres started for this run',
  };
}

/** An aim as MET / MISSED against a measured figure, or SKIPPED when nothing was measured. */
export function aimOf(description: string, value: number | undefined, target: number, unit: string): Aim {
  if (value === undefined || !Number.isFinite(value))
    return { description, actual: 'not measured', status: 'SKIPPED' };
  return { description, actual: `${value.toFixed(0)} ${unit}`, status: value >= target ? 'MET' : 'MISSED' };
}
