import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { machineCountersIn, switchesIn } from './system-probes.js';
import { busyPercentBetween, switchesPerRequest } from './system-run.js';

// The shapes of Linux's /proc/stat and /proc/<pid>/task/<tid>/status, cut to what is read.
const STAT = `cpu  1000 10 300 5000 40 5 15 20 0 0
cpu0 500 5 150 2500 20 3 8 10 0 0
cpu1 500 5 150 2500 20 2 7 10 0 0
intr 123456 0 0
ctxt 987654
btime 1765000000
processes 4321
`;

function status(voluntary: number, involuntary: number): string {
  return `Name:\tnode\nState:\tS (sleeping)\nvoluntary_ctxt_switches:\t${voluntary}\nnonvoluntary_ctxt_switches:\t${involuntary}\n`;
}

describe("the machine's counters", () => {
  it('count every core, the busy ticks (steal included, idle and I/O wait not) and the context switches', () => {
    assert.deepEqual(machineCountersIn(STAT), {
      cores: 2,
      busyTicks: 1000 + 10 + 300 + 5 + 15 + 20,
      allTicks: 1000 + 10 + 300 + 5000 + 40 + 5 + 15 + 20,
      contextSwitches: 987654,
    });
  });

  it('between two reads give the busy share of all the cores', () => {
    const before = { cores: 2, busyTicks: 1_000, allTicks: 4_000, contextSwitches: 10_000 };
    const after = { cores: 2, busyTicks: 2_800, allTicks: 6_000, contextSwitches: 60_000 };
    assert.equal(busyPercentBetween(before, after), 90);
    assert.equal(busyPercentBetween(after, after), undefined, 'no time passed: no share');
  });
});

describe("a process's context switches", () => {
  it('are read from a thread’s status, voluntary and not', () => {
    assert.deepEqual(switchesIn(status(42, 7)), { voluntary: 42, involuntary: 7 });
    assert.deepEqual(switchesIn(''), { voluntary: 0, involuntary: 0 });
  });

  it('per request count a process started during the run from zero and leave out one that exited', () => {
    const before = {
      postgres: new Map([
        [10, { voluntary: 100, involuntary: 10 }],
        [11, { voluntary: 500, involuntary: 50 }],
      ]),
    };
    const after = {
      postgres: new Map([
        [10, { voluntary: 300, involuntary: 30 }],
        [12, { voluntary: 100, involuntary: 20 }],
      ]),
    };
    assert.deepEqual(switchesPerRequest(before, after, 100), {
      postgres: { voluntary: (200 + 100) / 100, involuntary: (20 + 20) / 100 },
    });
    assert.deepEqual(switchesPerRequest(before, after, 0), {});
  });
});
