import { Injectable } from '@nestjs/common';
import { SecretBox } from '@hub/persistence';
import { STANDARD_WEBHOOKS_SECRET, type OutboundScheme } from '@hub/signing';
import { DispatcherConfig } from '../config/dispatcher.config.js';
import { isSealed, type SealedHeader, type StoredHeaders } from './subscription-headers.js';
import type { SubscriptionRow } from './subscription.repository.js';

export type SealedSecrets = Pick<
  SubscriptionRow,
  'tenant_id' | 'id' | 'secret_sealed' | 'previous_secret_sealed' | 'previous_secret_expires_at'
>;

/** Opened secrets kept in memory; past this many the cache starts over. */
const OPENED_SECRETS_KEPT = 10_000;

/**
 * Seals subscription secrets (and secret custom headers) at rest and opens the ones in use now. Opening (AES-GCM) was
 * a tenth of a worker's time per request, so an opened secret is kept, keyed by its sealed bytes:
 * a rotation seals a new value, which is a new key.
 */
@Injectable()
export class SubscriptionSecrets {
  private readonly box: SecretBox;
  private readonly opened = new Map<string, string>();

  constructor(config: DispatcherConfig) {
    this.box = new SecretBox(config.SECRETS_KEY);
  }

  seal(tenantId: string, subscriptionId: string, secret: string): Buffer {
    return this.box.seal(secret, binding(tenantId, subscriptionId));
  }

  /** A secret header's value, bound to its subscription and its (lower-case) name. */
  sealHeader(tenantId: string, subscriptionId: string, name: string, value: string): SealedHeader {
    return { sealed: this.box.seal(value, headerBinding(tenantId, subscriptionId, name)).toString('base64') };
  }

  /** The headers a request carries: sealed values opened, plain ones as they are. */
  openHeaders(tenantId: string, subscriptionId: string, headers: StoredHeaders): Record<string, string> {
    return Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [
        name,
        isSealed(value)
          ? this.open(Buffer.from(value.sealed, 'base64'), headerBinding(tenantId, subscriptionId, name))
          : value,
      ]),
    );
  }

  /** The current secret, then the rotated-out one while its grace period runs. */
  signingSecrets(row: SealedSecrets, nowMs = Date.now()): string[] {
    const bound = binding(row.tenant_id, row.id);
    const secrets = [this.open(row.secret_sealed, bound)];
    const expires = row.previous_secret_expires_at?.getTime() ?? 0;
    if (row.previous_secret_sealed && expires > nowMs) {
      secrets.push(this.open(row.previous_secret_sealed, bound));
    }
    return secrets;
  }

  private open(sealed: Buffer, bound: string): string {
    const key = `${bound}\u0000${sealed.toString('base64')}`;
    let secret = this.opened.get(key);
    if (secret === undefined) {
      secret = this.box.open(sealed, bound);
      if (this.opened.size >= OPENED_SECRETS_KEPT) this.opened.clear();
      this.opened.set(key, secret);
    }
    return secret;
  }
}

/** Why a caller's secret does not fit the scheme, or null: only standard-webhooks has a format. */
export function secretProblem(scheme: OutboundScheme, secret: string): string | null {
  if (scheme !== 'standard-webhooks') return null;
  const problem = STANDARD_WEBHOOKS_SECRET.problem(secret);
  return problem === null ? null : `${problem} for standard-webhooks`;
}

function binding(tenantId: string, subscriptionId: string): string {
  return `subscriptions/${tenantId}/${subscriptionId}`;
}

function headerBinding(tenantId: string, subscriptionId: string, name: string): string {
  return `${binding(tenantId, subscriptionId)}/headers/${name.toLowerCase()}`;
}
