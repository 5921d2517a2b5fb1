import type { KafkaConfig, SASLOptions } from 'kafkajs';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/**
 * How to reach a secured cluster. It holds the PEM texts and the password, not file names: the
 * settings read their files once at start-up, so a rotated file takes effect on the next start.
 */
export interface KafkaSecurity {
  /** Unset: plaintext. */
  tls?: {
    /** PEM; replaces Node's list of public CAs (a private CA, as Aiven's). */
    ca?: string;
    /** PEM client certificate and its key, for brokers that authenticate clients by certificate. */
    cert?: string;
    key?: string;
    /** Checks the broker's certificate chain and that it names the host connected to. */
    rejectUnauthorized: boolean;
  };
  /** Unset: no SASL authentication. */
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

/** The `ssl` and `sasl` options of `new Kafka()` for these settings, nothing else. */
export function kafkaSecurityOptions(security: KafkaSecurity = {}): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const options: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  const { tls, sasl } = security;
  if (tls) {
    const { ca, cert, key, rejectUnauthorized } = tls;
    const defaults = ca === undefined && cert === undefined && key === undefined && rejectUnauthorized;
    // `true` is Node's own defaults: public CAs, certificate and host name checked.
    options.ssl = defaults
      ? true
      : {
          ...(ca === undefined ? {} : { ca }),
          ...(cert === undefined ? {} : { cert }),
          ...(key === undefined ? {} : { key }),
          rejectUnauthorized,
        };
  }
  if (sasl) options.sasl = saslOptions(sasl);
  return options;
}

function saslOptions({ mechanism, username, password }: NonNullable<KafkaSecurity['sasl']>): SASLOptions {
  // One case per mechanism: kafkajs types each mechanism's options apart.
  switch (mechanism) {
    case 'plain':
      return { mechanism, username, password };
    case 'scram-sha-256':
      return { mechanism, username, password };
    case 'scram-sha-512':
      return { mechanism, username, password };
  }
}
