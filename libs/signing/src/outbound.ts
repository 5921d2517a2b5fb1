import { signHmacSha256Hex } from './schemes/hmac-sha256-hex.scheme.js';
import { signSharedSecretHeader } from './schemes/shared-secret-header.scheme.js';
import {
  signStandardWebhooks,
  STANDARD_WEBHOOKS_SIGNATURE_HEADER,
} from './schemes/standard-webhooks.scheme.js';
import { generateStandardWebhooksSecret } from './secrets.js';

/** The schemes a subscription can sign its outbound webhooks with (their headers: README, "Signatures"). */
export const OUTBOUND_SCHEMES = ['standard-webhooks', 'hmac-sha256-hex', 'shared-secret-header'] as const;
export type OutboundScheme = (typeof OUTBOUND_SCHEMES)[number];

export interface OutboundMessage {
  /** The delivery id: the same on every attempt, so receivers can deduplicate. */
  id: string;
  timestampSeconds: number;
  body: string;
}

/**
 * The signature headers of one outbound request. `secrets` are the current secret first, then any
 * still in their rotation grace period: each signs too, space-separated in the one header, as the
 * Standard Webhooks spec allows, so a receiver on either secret verifies.
 */
export function signOutbound(
  scheme: OutboundScheme,
  secrets: readonly string[],
  message: OutboundMessage,
): Record<string, string> {
  const [current, ...previous] = secrets;
  if (!current) throw new TypeError('a subscription always has a secret');
  if (scheme === 'standard-webhooks') {
    const sign = (secret: string) =>
      signStandardWebhooks(secret, message.id, message.timestampSeconds, message.body);
    const headers = sign(current);
    if (previous.length === 0) return headers;
    const signatures = [headers, ...previous.map(sign)].map((h) => h[STANDARD_WEBHOOKS_SIGNATURE_HEADER]!);
    return { ...headers, [STANDARD_WEBHOOKS_SIGNATURE_HEADER]: signatures.join(' ') };
  }
  if (scheme === 'hmac-sha256-hex') {
    const entries = [current, ...previous].map(
      (secret) => Object.entries(signHmacSha256Hex(secret, message.body))[0]!,
    );
    return { [entries[0]![0]]: entries.map(([, value]) => value).join(' ') };
  }
  // The secret itself travels: during a rotation the receiver still holds the old one.
  return signSharedSecretHeader(previous[0] ?? current);
}

/**
 * A fresh secret: `whsec_` + 32 random bytes in base64, whatever the scheme, so secrets look alike
 * everywhere. Standard Webhooks decodes the base64 into its key; the other schemes use the whole
 * string as it is (the HMAC key of hmac-sha256-hex, the header value of shared-secret-header).
 */
export function generateOutboundSecret(): string {
  return generateStandardWebhooksSecret();
}
