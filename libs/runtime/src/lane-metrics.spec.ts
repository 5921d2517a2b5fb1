import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { askLaneForMetrics } from './lane-metrics.js';

/** A real thread running `body` with `port` its parentPort (CommonJS, as eval'd workers are). */
function thread(body: string): Worker {
  return new Worker(`const port = require('node:worker_threads').parentPort;\n${body}`, { eval: true });
}

describe('askLaneForMetrics', () => {
  test("a lane's answer to its request is its snapshot; replies to other requests are ignored", async () => {
    const laneMetrics = new URL('./lane-metrics.js', import.meta.url).href;
    const lane = thread(`
      port.on('message', (m) => { if (m.type === 'metrics') port.postMessage({ type: 'metrics-snapshot', id: -1, metrics: [] }); });
      import(${JSON.stringify(laneMetrics)}).then((m) => { m.answerMetricsRequests(port); port.postMessage('ready'); });`);
    try {
      await new Promise((resolve) => lane.once('message', resolve));
      const snapshot = await askLaneForMetrics(lane);
      assert.ok(Array.isArray(snapshot), 'a snapshot');
      assert.ok(snapshot.some((metric) => metric.name === 'http_request_duration_seconds'));
    } finally {
      await lane.terminate();
    }
  });

  test('a lane that does not answer is left out (after a second) instead of holding the scrape', async () => {
    const silent = thread(`port.on('message', () => undefined);`);
    try {
      assert.equal(await askLaneForMetrics(silent), undefined);
    } finally {
      await silent.terminate();
    }
  });

  test('a lane that exits while asked is left out at once', async () => {
    const exiting = thread(`port.on('message', () => process.exit(0));`);
    assert.equal(await askLaneForMetrics(exiting), undefined);
  });
});
