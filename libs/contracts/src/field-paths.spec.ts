import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { anyPathMatches, fieldPatternProblem, pathMatches, pickFields } from './field-paths.js';

describe('field paths', () => {
  test('a trailing wildcard matches every path below it, not the root itself', () => {
    assert.equal(pathMatches('project.*', 'project.systems.modules'), true);
    assert.equal(pathMatches('project.*', 'project.stage'), true);
    assert.equal(pathMatches('project.*', 'project'), false);
    assert.equal(pathMatches('project.*', 'customer.email'), false);
  });

  test('an inner wildcard matches exactly one segment', () => {
    assert.equal(pathMatches('project.*.modules', 'project.systems.modules'), true);
    assert.equal(pathMatches('project.*.modules', 'project.systems.inverters'), false);
  });

  test('an exact path matches itself and changes below it, not its siblings', () => {
    assert.equal(pathMatches('project.systems', 'project.systems.modules'), true);
    assert.equal(pathMatches('project.stage', 'project.stage'), true);
    assert.equal(pathMatches('project.stage', 'project.stage_name'), false);
    assert.equal(pathMatches('project.stage', 'project.notes'), false);
  });

  test('a whole subtree that changed matches a pattern inside it', () => {
    assert.equal(pathMatches('project.systems.modules', 'project.systems'), true);
  });

  test('a change to an untracked field matches none of the patterns', () => {
    assert.equal(anyPathMatches(['project.stage', 'customer.email'], ['project.notes']), false);
    assert.equal(
      anyPathMatches(['project.stage', 'customer.email'], ['project.notes', 'project.stage']),
      true,
    );
  });

  test('rejects patterns outside the grammar with the reason', () => {
    assert.equal(fieldPatternProblem('project.stage'), null);
    assert.equal(fieldPatternProblem('project.*'), null);
    assert.match(fieldPatternProblem('project') ?? '', /dotted segments/);
    assert.match(fieldPatternProblem('*.stage') ?? '', /entity type/);
    assert.match(fieldPatternProblem('project.st age') ?? '', /segments/);
    assert.match(fieldPatternProblem('project..stage') ?? '', /segments/);
    assert.match(fieldPatternProblem(42) ?? '', /string/);
  });

  test('picks only the selected fields, through arrays, keeping the shape', () => {
    const document = {
      stage: 'Sold',
      notes: 'secret',
      address: { zip: '2000', street: 'Main' },
      systems: [
        { modules: 20, inverters: 1 },
        { modules: 10, inverters: 2 },
      ],
    };
    assert.deepEqual(
      pickFields(document, 'project', ['project.stage', 'project.systems.modules', 'customer.*']),
      {
        stage: 'Sold',
        systems: [{ modules: 20 }, { modules: 10 }],
      },
    );
    assert.deepEqual(pickFields(document, 'project', ['project.address.*']), {
      address: { zip: '2000', street: 'Main' },
    });
    assert.deepEqual(pickFields(document, 'project', ['project.*']), document);
    assert.deepEqual(pickFields(document, 'project', ['customer.*']), {});
  });
});
