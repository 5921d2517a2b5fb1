import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as macrotask } from 'node:timers/promises';
import fc from 'fast-check';
import { SendSlots, type ReleaseSlot, type SendSlotsOptions, type SlotClaim } from './send-slots.js';

interface Claimed extends SlotClaim {
  readonly id: number;
}

const LEASE_NEEDED_MS = 100;
const LONG_LEASE_MS = 10 * LEASE_NEEDED_MS;

/** A SendSlots on a clock the test moves, recording what it sends and how often capacity freed. */
function harness(limits: Pick<SendSlotsOptions<Claimed>, 'slots' | 'perSubscription' | 'readyPerSlot'>) {
  const state = {
    clock: 0,
    nextId: 0,
    sent: [] as Array<{ delivery: Claimed; release: ReleaseSlot }>,
    capacityFreed: 0,
  };
  const slots = new SendSlots<Claimed>({
    ...limits,
    leaseNeededMs: LEASE_NEEDED_MS,
    send: (delivery, release) => state.sent.push({ delivery, release }),
    capacityFreed: () => state.capacityFreed++,
    now: () => state.clock,
  });
  const claimed = (subscription: string, leaseMs = LONG_LEASE_MS): Claimed => ({
    id: state.nextId++,
    subscription_id: subscription,
    lease_until: new Date(state.clock + leaseMs),
  });
  const sentIds = () => state.sent.map((s) => s.delivery.id);
  return { slots, state, claimed, sentIds };
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

describe('send slots', () => {
  test('capacity is the slots plus as many again per ready multiple, and a claim may take all of it', () => {
    const { slots } = harness({ slots: 3, perSubscription: 2, readyPerSlot: 1 });
    assert.equal(slots.capacity, 6);
    assert.equal(slots.claimable(), 6);
    assert.equal(slots.claimPerSubscription, 4);
  });

  test('never more than `slots` in flight, nor `perSubscription` of one subscription; the rest wait, oldest first', () => {
    const { slots, claimed, sentIds } = harness({ slots: 3, perSubscription: 2, readyPerSlot: 1 });
    const batch = [claimed('a'), claimed('a'), claimed('a'), claimed('b'), claimed('b'), claimed('c')];
    slots.hold(batch, 6);
    assert.deepEqual(sentIds(), [0, 1, 3]);
    assert.equal(slots.inFlight, 3);
    assert.equal(slots.inFlightFor('a'), 2);
    assert.equal(slots.waiting, 3);
    assert.deepEqual(Object.fromEntries(slots.held), { a: 3, b: 2, c: 1 });
    assert.equal(slots.claimable(), 0);
  });

  test('a freed slot starts the next ready delivery at once, skipping subscriptions at their limit', () => {
    const { slots, state, claimed, sentIds } = harness({ slots: 2, perSubscription: 1, readyPerSlot: 1 });
    slots.hold([claimed('a'), claimed('b'), claimed('a'), claimed('c')], 4);
    assert.deepEqual(sentIds(), [0, 1]);
    assert.equal(state.sent[1]!.release(), true);
    // 'a' is still at its limit, so 'c' (claimed later) goes first.
    assert.deepEqual(sentIds(), [0, 1, 3]);
    assert.equal(state.sent[0]!.release(), true);
    assert.deepEqual(sentIds(), [0, 1, 3, 2]);
  });

  test('a slot is released once: a second release is a no-op that answers false', () => {
    const { slots, state, claimed } = harness({ slots: 2, perSubscription: 2, readyPerSlot: 0 });
    slots.hold([claimed('a'), claimed('a')], 2);
    const first = state.sent[0]!.release;
    assert.equal(first(), true);
    assert.equal(first(), false);
    assert.equal(first(), false);
    assert.equal(slots.inFlight, 1);
    assert.equal(slots.inFlightFor('a'), 1);
    assert.deepEqual(Object.fromEntries(slots.held), { a: 1 });
    assert.equal(slots.free, 1);
  });

  test('a ready delivery whose lease could run out during its attempt is dropped, not sent, and no longer held', () => {
    const { slots, state, claimed, sentIds } = harness({ slots: 1, perSubscription: 1, readyPerSlot: 2 });
    slots.hold([claimed('a'), claimed('b', LEASE_NEEDED_MS + 50), claimed('c')], 3);
    assert.deepEqual(sentIds(), [0]);
    state.clock += 60;
    state.sent[0]!.release();
    assert.deepEqual(sentIds(), [0, 2]);
    assert.equal(slots.waiting, 0);
    assert.deepEqual(Object.fromEntries(slots.held), { c: 1 });
  });

  test('a freed slot asks for another claim only when the last claim was held back by capacity', () => {
    const tookAllDue = harness({ slots: 2, perSubscription: 2, readyPerSlot: 1 });
    tookAllDue.slots.hold([tookAllDue.claimed('a')], 4);
    tookAllDue.state.sent[0]!.release();
    assert.equal(tookAllDue.state.capacityFreed, 0, 'the last claim took everything due');

    const filled = harness({ slots: 2, perSubscription: 2, readyPerSlot: 1 });
    filled.slots.hold(
      ['a', 'b', 'c', 'd'].map((s) => filled.claimed(s)),
      4,
    );
    filled.state.sent[0]!.release();
    assert.equal(filled.state.capacityFreed, 1, 'the last claim filled all it asked for');

    const subscriptionLimit = harness({ slots: 2, perSubscription: 1, readyPerSlot: 1 });
    subscriptionLimit.slots.hold([subscriptionLimit.claimed('a'), subscriptionLimit.claimed('a')], 4);
    subscriptionLimit.state.sent[0]!.release();
    assert.equal(subscriptionLimit.state.capacityFreed, 1, "a subscription's claim limit held it back");

    const noRoom = harness({ slots: 1, perSubscription: 2, readyPerSlot: 0 });
    noRoom.slots.hold([noRoom.claimed('a')], 4);
    assert.equal(noRoom.slots.claimable(), 0);
    noRoom.slots.hold([], noRoom.slots.claimable());
    noRoom.state.sent[0]!.release();
    assert.equal(noRoom.state.capacityFreed, 1, 'there was no room to claim at all');
  });

  test('reserved room is not free, nor claimable, and counts for its subscriptions until given back once', () => {
    const { slots, claimed, sentIds } = harness({ slots: 2, perSubscription: 2, readyPerSlot: 1 });
    const claimUnderWay = slots.reserve(slots.claimable());
    assert.equal(slots.claimable(), 0);
    assert.equal(slots.reserved, 4);
    claimUnderWay();
    const handOver = slots.reserve(2, ['a', 'a']);
    assert.equal(slots.claimable(), 2);
    assert.deepEqual(Object.fromEntries(slots.held), { a: 2 });
    handOver();
    handOver();
    assert.equal(slots.reserved, 0);
    assert.equal(slots.held.size, 0);
    slots.adopt([claimed('a'), claimed('a')]);
    assert.deepEqual(sentIds(), [0, 1]);
    assert.equal(slots.free, 2);
  });

  test('once closed nothing more is claimed or started; unsent ones come back and the idle wait covers what is in flight', async () => {
    const { slots, state, claimed, sentIds } = harness({ slots: 1, perSubscription: 1, readyPerSlot: 1 });
    slots.hold([claimed('a'), claimed('b')], 2);
    slots.close();
    assert.equal(slots.open, false);
    assert.equal(slots.claimable(), 0);
    // A claim that began before the close is held, never started.
    slots.hold([claimed('c')], 1);
    let idle = false;
    void slots.whenIdle().then(() => (idle = true));
    await macrotask();
    assert.equal(idle, false);
    assert.deepEqual(
      slots.takeUnsent().map((d) => d.id),
      [1, 2],
    );
    assert.deepEqual(Object.fromEntries(slots.held), { a: 1 });
    state.sent[0]!.release();
    await macrotask();
    assert.equal(idle, true);
    assert.deepEqual(sentIds(), [0]);
    assert.equal(slots.free, slots.capacity);
    assert.equal(slots.held.size, 0);
  });

  test('for any interleaving of claims, hand-overs, outcomes, failures, lease expiry and shutdown, capacity holds, no slot leaks and none is freed twice', async () => {
    const limits = fc.record({
      slots: fc.integer({ min: 1, max: 4 }),
      perSubscription: fc.integer({ min: 1, max: 3 }),
      readyPerSlot: fc.integer({ min: 0, max: 2 }),
    });
    const step = fc.oneof(
      { arbitrary: fc.constant({ kind: 'askClaim' as const }), weight: 3 },
      {
        arbitrary: fc.record({
          kind: fc.constant('claimReturns' as const),
          subscriptions: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 12 }),
          leaseMs: fc.integer({ min: 0, max: 3 * LEASE_NEEDED_MS }),
        }),
        weight: 3,
      },
      { arbitrary: fc.constant({ kind: 'claimFails' as const }), weight: 1 },
      {
        arbitrary: fc.record({
          kind: fc.constant('handOverChosen' as const),
          subscriptions: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 6 }),
        }),
        weight: 2,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant('handOverSettles' as const),
          pick: fc.nat(),
          stored: fc.nat(),
          leaseMs: fc.integer({ min: 0, max: 3 * LEASE_NEEDED_MS }),
        }),
        weight: 2,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant('attemptEnds' as const),
          pick: fc.nat(),
          outcome: fc.constantFrom('succeeded', 'retry', 'gone', 'exhausted', 'threw'),
        }),
        weight: 4,
      },
      { arbitrary: fc.record({ kind: fc.constant('releaseAgain' as const), pick: fc.nat() }), weight: 1 },
      {
        arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 80 }) }),
        weight: 1,
      },
      { arbitrary: fc.constant({ kind: 'shutdown' as const }), weight: 1 },
      { arbitrary: fc.constant({ kind: 'loopEnds' as const }), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(limits, fc.array(step, { maxLength: 60, size: 'max' }), async (limit, steps) => {
        const { slots, state, claimed } = harness(limit);
        /** What the claim under way asked for; one at a time, as the worker's loop claims. */
        let asked: number | null = null;
        let claimGiveBack = () => {};
        /** Matched batches whose room is reserved, their transactions not ended yet. */
        const handOvers: Array<{ subscriptions: string[]; giveBack: () => void }> = [];
        const handOverHeld = () => sum(handOvers.map((h) => h.subscriptions.length));
        const releasing: ReleaseSlot[] = [];
        const released: ReleaseSlot[] = [];
        const all: Claimed[] = [];
        let unsent: Claimed[] | null = null;
        let idle = false;
        let sentAfterClose = 0;
        const sentBefore = () => state.sent.length;

        const check = (label: string) => {
          for (const s of state.sent.slice(releasing.length + released.length)) {
            assert.ok(
              s.delivery.lease_until.getTime() >= state.clock + LEASE_NEEDED_MS,
              `${label}: lease too short`,
            );
            releasing.push(s.release);
          }
          assert.ok(
            slots.inFlight >= 0 && slots.inFlight <= limit.slots,
            `${label}: in flight ${slots.inFlight}`,
          );
          assert.equal(
            slots.inFlight,
            releasing.length,
            `${label}: in flight is what was started and not released`,
          );
          assert.ok(slots.free >= 0, `${label}: more held than capacity`);
          assert.equal(
            sum(slots.held.values()),
            slots.inFlight + slots.waiting + handOverHeld(),
            `${label}: held`,
          );
          assert.equal(slots.reserved, (asked ?? 0) + handOverHeld(), `${label}: reserved`);
          for (const [subscription, n] of slots.held) {
            assert.ok(n > 0, `${label}: held ${n} for ${subscription}`);
            assert.ok(slots.inFlightFor(subscription) <= limit.perSubscription, `${label}: per subscription`);
          }
          if (!slots.open) assert.equal(slots.claimable(), 0, `${label}: claims after shutdown`);
          if (idle) assert.equal(slots.inFlight, 0, `${label}: idle with requests in flight`);
        };

        for (const [index, s] of steps.entries()) {
          const label = `step ${index} ${s.kind}`;
          const before = sentBefore();
          switch (s.kind) {
            case 'askClaim':
              if (asked === null && slots.open) {
                asked = slots.claimable();
                claimGiveBack = slots.reserve(asked);
              }
              break;
            case 'claimReturns': {
              if (asked === null) break;
              const rows = s.subscriptions.slice(0, asked).map((n) => claimed(`s${n}`, s.leaseMs));
              all.push(...rows);
              claimGiveBack();
              slots.hold(rows, asked);
              asked = null;
              break;
            }
            case 'claimFails':
              claimGiveBack();
              asked = null;
              break;
            case 'handOverChosen': {
              const subscriptions = s.subscriptions.slice(0, slots.claimable()).map((n) => `s${n}`);
              handOvers.push({ subscriptions, giveBack: slots.reserve(subscriptions.length, subscriptions) });
              break;
            }
            case 'handOverSettles': {
              if (handOvers.length === 0) break;
              const [settled] = handOvers.splice(s.pick % handOvers.length, 1);
              // Some of the chosen may have been stored pending: the rest comes back claimed.
              const rows = settled!.subscriptions
                .slice(0, s.stored % (settled!.subscriptions.length + 1))
                .map((subscription) => claimed(subscription, s.leaseMs));
              all.push(...rows);
              settled!.giveBack();
              // A stopped worker puts them back instead.
              if (slots.open) slots.adopt(rows);
              else unsent = [...(unsent ?? []), ...rows];
              break;
            }
            case 'attemptEnds': {
              if (releasing.length === 0) break;
              const [release] = releasing.splice(s.pick % releasing.length, 1);
              assert.equal(release!(), true, `${label}: first release`);
              released.push(release!);
              break;
            }
            case 'releaseAgain': {
              if (released.length === 0) break;
              const inFlight = slots.inFlight;
              const free = slots.free;
              assert.equal(released[s.pick % released.length]!(), false, `${label}: second release`);
              assert.equal(slots.inFlight, inFlight);
              assert.equal(slots.free, free);
              break;
            }
            case 'time':
              state.clock += s.ms;
              break;
            case 'shutdown':
              if (!slots.open) break;
              slots.close();
              void slots.whenIdle().then(() => (idle = true));
              break;
            case 'loopEnds':
              if (slots.open || asked !== null || unsent) break;
              unsent = slots.takeUnsent();
              break;
          }
          if (!slots.open && s.kind !== 'shutdown') sentAfterClose += sentBefore() - before;
          await macrotask();
          check(label);
        }

        // Settle: the claim under way ends, the worker stops, every request in flight ends.
        if (asked !== null) {
          claimGiveBack();
          slots.hold([], asked);
        }
        handOvers.splice(0).forEach((h) => h.giveBack());
        if (slots.open) {
          slots.close();
          void slots.whenIdle().then(() => (idle = true));
        }
        unsent = [...(unsent ?? []), ...slots.takeUnsent()];
        const sentAtClose = state.sent.length;
        while (releasing.length > 0) {
          assert.equal(idle, false, 'idle before the last request ended');
          releasing.shift()!();
          await macrotask();
        }
        await slots.whenIdle();
        assert.equal(idle, true);
        assert.equal(state.sent.length, sentAtClose, 'started after shutdown');
        assert.equal(sentAfterClose, 0, 'started after shutdown');
        assert.equal(slots.inFlight, 0);
        assert.equal(slots.waiting, 0);
        assert.equal(slots.held.size, 0);
        assert.equal(slots.free, slots.capacity, 'capacity leaked');
        // Each claimed delivery was sent once, or handed back, or dropped for its lease: never two of these.
        const sentIds = state.sent.map((s) => s.delivery.id);
        const unsentIds = unsent.map((d) => d.id);
        assert.equal(new Set([...sentIds, ...unsentIds]).size, sentIds.length + unsentIds.length);
        assert.ok(sentIds.length + unsentIds.length <= all.length);
      }),
      { numRuns: 300, seed: 20_261_203 },
    );
  });
});
