import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { declaredSettings, SETTINGS_READ_ELSEWHERE } from '../support/settings.js';

/**
 * The README's configuration table is written by hand (its defaults and meanings say more than
 * the classes can), so this keeps it honest: it names exactly the settings the settings classes
 * declare, plus the few read elsewhere, each once.
 */
const README = 'README.md';

/** The rows of the first table under `## Configuration`, as their cells. */
function configurationRows(readme: string): string[][] {
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0];
  assert.ok(section, 'README has a "## Configuration" section');
  const lines = section.split('\n');
  const start = lines.findIndex((line) => /^\|\s*setting\s*\|/.test(line));
  assert.ok(start >= 0, 'the Configuration section has a table whose first column is "setting"');
  const table: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    table.push(line);
  }
  return table.map((line) => line.split(/(?<!\\)\|/).slice(1, -1));
}

/** The setting names in a row's first cell: `A`, `B` and `C` make three. */
function namesInCell(cell: string): string[] {
  return [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]!);
}

async function documentedSettings(): Promise<string[]> {
  const rows = configurationRows(await readFile(README, 'utf8'));
  return rows.flatMap((cells) => namesInCell(cells[0] ?? ''));
}

describe('README configuration table', () => {
  test('lists every setting the settings classes declare and no other', async () => {
    const declared = await declaredSettings();
    const documented = await documentedSettings();
    const expected = new Set([...declared.keys(), ...Object.keys(SETTINGS_READ_ELSEWHERE)]);
    const missing = [...expected].filter((name) => !documented.includes(name));
    const stale = documented.filter((name) => !expected.has(name));
    // One comparison, so a run shows both what is missing and what is stale.
    assert.deepEqual(
      {
        missing: missing.map(
          (name) => `${name} (${declared.get(name)?.join(', ') ?? SETTINGS_READ_ELSEWHERE[name]})`,
        ),
        stale,
      },
      { missing: [], stale: [] },
      'missing: declared but not in the README table; stale: in the table but declared nowhere',
    );
  });

  test('names each setting in one row only', async () => {
    const documented = await documentedSettings();
    const twice = documented.filter((name, i) => documented.indexOf(name) !== i);
    assert.deepEqual(twice, []);
  });

  test('finds the settings of every class, inherited ones included', async () => {
    const declared = await declaredSettings();
    for (const [name, owner] of [
      ['DATABASE_URL', 'IngestConfig'],
      ['KAFKA_SASL_PASSWORD_FILE', 'DispatcherConfig'],
      ['PUBLIC_INGEST_URL', 'IngestConfig'],
      ['PROJECTOR_GROUP_ID', 'ProjectorConfig'],
      ['DISPATCHER_GROUP_ID', 'DispatcherConfig'],
      ['TOPIC_PREFIX', 'PlatformConfig'],
      ['EMBEDDED_POSTGRES_PORT', 'LauncherConfig'],
    ] as const)
      assert.ok(declared.get(name)?.includes(owner), `${name} is declared by ${owner}`);
  });

  test('the settings read outside the classes are still read there', async () => {
    for (const [name, file] of Object.entries(SETTINGS_READ_ELSEWHERE))
      assert.ok((await readFile(file, 'utf8')).includes(`'${name}'`), `${file} reads ${name}`);
  });

  test('reads the names of a row, several to a cell', () => {
    assert.deepEqual(namesInCell('`INGEST_PORT`, `PROJECTOR_PORT`'), ['INGEST_PORT', 'PROJECTOR_PORT']);
    assert.deepEqual(namesInCell('unset → `npm start`'), []);
  });
});
