import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ProviderId } from '@hub/contracts';

export type Verification = 'signature' | 'none';

/** One connection to one provider account. The secret is sealed with SECRETS_KEY (SecretBox). */
@Entity({ name: 'sources' })
export class SourceEntity {
  @PrimaryColumn('uuid', { name: 'tenant_id' })
  tenantId: string;

  @PrimaryColumn('text')
  id: string;

  @Column('text')
  provider: ProviderId;

  @Column('text')
  name: string;

  @Column('bytea', { name: 'secret_sealed', nullable: true })
  secretSealed: Buffer | null;

  @Column('text')
  verification: Verification;

  @Column('jsonb')
  settings: Record<string, string>;

  @Column('timestamptz', { name: 'validated_at', nullable: true })
  validatedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** Per-source delivery counters, so an operator sees when and why a provider's requests started failing. */
@Entity({ name: 'source_stats' })
export class SourceStatsEntity {
  @PrimaryColumn('uuid', { name: 'tenant_id' })
  tenantId: string;

  @PrimaryColumn('text', { name: 'source_id' })
  sourceId: string;

  @Column('bigint')
  accepted: string;

  @Column('jsonb')
  rejected: Record<string, { count: number; last_at: string; last_detail: string }>;

  @Column('timestamptz', { name: 'last_delivery_at', nullable: true })
  lastDeliveryAt: Date | null;

  @Column('timestamptz', { name: 'last_accepted_at', nullable: true })
  lastAcceptedAt: Date | null;

  /** Verified deliveries whose body could not be mapped (kept on the raw topic, listed apart). */
  @Column('bigint')
  unmapped: string;

  @Column('timestamptz', { name: 'last_unmapped_at', nullable: true })
  lastUnmappedAt: Date | null;

  @Column('text', { name: 'last_unmapped_reason', nullable: true })
  lastUnmappedReason: string | null;
}
