/** What slot accounting needs to know of a claimed delivery. */
export interface SlotClaim {
  readonly subscription_id: string;
  /** Until when the claim holds the row; after it the lease sweep may hand it to anyone. */
  readonly lease_until: Date;
}

/**
 * Frees the slot of one started delivery: call it when the request has ended, however it ended.
 * Only the first call frees anything (it answers true); later calls are no-ops that answer false.
 */
export type ReleaseSlot = () => boolean;

export interface SendSlotsOptions<T extends SlotClaim> {
  /** Requests in flight at once in this process. */
  readonly slots: number;
  /** Requests in flight at once for one subscription in this process. */
  readonly perSubscription: number;
  /** Claimed deliveries held ready beyond those in flight, as a multiple of both limits. */
  readonly readyPerSlot: number;
  /** A ready delivery is started only if its lease lasts at least this much longer. */
  readonly leaseNeededMs: number;
  /** Sends a delivery given a slot; `release` must be called once its request has ended. */
  readonly send: (delivery: T, release: ReleaseSlot) => void;
  /** A slot was freed while the last claim was held back by capacity: a claim now may find more. */
  readonly capacityFreed: () => void;
  readonly now?: () => number;
}

/**
 * Every count of the dispatcher's send path in one place. A claimed delivery is held ready, oldest
 * first, until a slot is free for it (never more than `slots` in flight, nor `perSubscription` of
 * one subscription); a ready one whose lease could run out during its attempt is dropped instead
 * (the lease sweep queues it again). Starting a delivery hands its sender a ReleaseSlot, the only
 * way to free that slot, and it frees it once: a second call is a no-op rather than an error
 * because it runs in a promise's `finally`, where a throw would be an unhandled rejection that
 * stops the process with every other request in flight. A freed slot starts the next ready
 * delivery at once. After `close()` nothing starts and nothing more may be claimed; `takeUnsent()`
 * hands back what was held ready and `whenIdle()` waits for the requests in flight. Room for
 * deliveries on their way (a claim under way, a matched batch to be stored already claimed) is
 * reserved until they are held, so that the two, running at once, never take the same room.
 */
export class SendSlots<T extends SlotClaim> {
  /** Claimed, leased, not started yet: waiting for a slot, oldest first. */
  private ready: T[] = [];
  private sending = 0;
  private readonly sendingPerSubscription = new Map<string, number>();
  /** In flight, ready and reserved, per subscription: what the next claim counts as taken. */
  private readonly heldPerSubscription = new Map<string, number>();
  /** Room held for deliveries being claimed or handed over, not returned yet. */
  private reservedRoom = 0;
  /** The last claim was held back by a limit: a slot freed by a finished attempt may find more work. */
  private claimBound = true;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly now: () => number;

  constructor(private readonly options: SendSlotsOptions<T>) {
    this.now = options.now ?? Date.now;
  }

  /** Claims may be made and ready deliveries started: `close()` has not been called. */
  get open(): boolean {
    return !this.closed;
  }

  /** Requests in flight. */
  get inFlight(): number {
    return this.sending;
  }

  /** Claimed deliveries waiting for a slot. */
  get waiting(): number {
    return this.ready.length;
  }

  /** What in flight plus ready may reach. */
  get capacity(): number {
    return this.options.slots * (1 + this.options.readyPerSlot);
  }

  /** Room reserved and not yet returned by its claim or hand-over. */
  get reserved(): number {
    return this.reservedRoom;
  }

  /** Capacity not taken by deliveries in flight, ready or reserved, whether or not claims are still made. */
  get free(): number {
    return this.capacity - this.sending - this.ready.length - this.reservedRoom;
  }

  /** How many the next claim may take; none once closed. */
  claimable(): number {
    return this.closed ? 0 : Math.max(0, this.free);
  }

  /** How many of one subscription a claim may count as taken, in flight and ready together. */
  get claimPerSubscription(): number {
    return this.options.perSubscription * (1 + this.options.readyPerSlot);
  }

  /** In flight, ready and reserved per subscription (no entry for none): what the next claim counts as taken. */
  get held(): ReadonlyMap<string, number> {
    return this.heldPerSubscription;
  }

  /** Requests in flight for one subscription. */
  inFlightFor(subscriptionId: string): number {
    return this.sendingPerSubscription.get(subscriptionId) ?? 0;
  }

  /**
   * Sets room aside for deliveries on their way (a claim's `count`, or those chosen to be stored
   * already claimed, one per subscription id), so that two of them under way at once never take
   * the same room. The answer gives it back: call it once they are held or known not to come;
   * only the first call does anything.
   */
  reserve(count: number, subscriptionIds: readonly string[] = []): () => void {
    this.reservedRoom += count;
    for (const id of subscriptionIds) tally(this.heldPerSubscription, id, +1);
    let returned = false;
    return () => {
      if (returned) return;
      returned = true;
      this.reservedRoom -= count;
      for (const id of subscriptionIds) tally(this.heldPerSubscription, id, -1);
    };
  }

  /**
   * Holds what a claim for `asked` deliveries returned and starts what it can. Also for a claim
   * that began before `close()`: those stay ready until `takeUnsent()`.
   */
  hold(claimed: readonly T[], asked: number): void {
    this.adopt(claimed);
    this.claimBound = claimed.length >= asked || this.someSubscriptionAtClaimLimit();
  }

  /**
   * Holds deliveries claimed otherwise than by a claim (inserted already claimed when matched) and
   * starts what it can; return their reservation first. The last claim's bound stands: whether a
   * freed slot should ring for a claim is still its to say.
   */
  adopt(claimed: readonly T[]): void {
    for (const delivery of claimed) {
      this.ready.push(delivery);
      tally(this.heldPerSubscription, delivery.subscription_id, +1);
    }
    this.startReady();
  }

  /** Refuses further claims and starts; what is in flight goes on until released. */
  close(): void {
    this.closed = true;
  }

  /** Shutting down: the ready deliveries, no longer held, to be put back in the queue. */
  takeUnsent(): T[] {
    const unsent = this.ready;
    this.ready = [];
    unsent.forEach((delivery) => tally(this.heldPerSubscription, delivery.subscription_id, -1));
    return unsent;
  }

  /** Resolves once no request is in flight. */
  whenIdle(): Promise<void> {
    if (this.sending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Starts ready deliveries while slots are free, skipping subscriptions at their limit. One whose
   * lease could run out during its attempt is dropped instead: the sweep queues it again, and no
   * other worker can have it while this one might still send it.
   */
  private startReady(): void {
    if (this.closed || this.ready.length === 0 || this.sending >= this.options.slots) return;
    const waiting: T[] = [];
    const startBy = this.now() + this.options.leaseNeededMs;
    for (const delivery of this.ready) {
      if (delivery.lease_until.getTime() < startBy) {
        tally(this.heldPerSubscription, delivery.subscription_id, -1);
      } else if (
        this.sending < this.options.slots &&
        this.inFlightFor(delivery.subscription_id) < this.options.perSubscription
      ) {
        this.start(delivery);
      } else {
        waiting.push(delivery);
      }
    }
    this.ready = waiting;
  }

  private start(delivery: T): void {
    this.sending++;
    tally(this.sendingPerSubscription, delivery.subscription_id, +1);
    this.options.send(delivery, this.releaseOnce(delivery.subscription_id));
  }

  /** The slot's one way back; the sender's `finally` callback, so no further closure is made. */
  private releaseOnce(subscriptionId: string): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return false;
      released = true;
      this.freeSlot(subscriptionId);
      return true;
    };
  }

  private freeSlot(subscriptionId: string): void {
    this.sending--;
    tally(this.sendingPerSubscription, subscriptionId, -1);
    tally(this.heldPerSubscription, subscriptionId, -1);
    this.startReady();
    // Otherwise the last claim took everything due, and the freed slot would find nothing.
    if (this.claimBound) this.options.capacityFreed();
    if (this.sending === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((resolve) => resolve());
    }
  }

  private someSubscriptionAtClaimLimit(): boolean {
    for (const held of this.heldPerSubscription.values()) if (held >= this.claimPerSubscription) return true;
    return false;
  }
}

function tally(counts: Map<string, number>, key: string, by: 1 | -1): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
