import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** `read`: safe methods (GET, HEAD) only, for teams that query synced state; `write`: everything. */
export const API_KEY_SCOPES = ['read', 'write'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** An API key is stored as its SHA-256 only; the key itself is shown once, when created. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId: string;

  @Column('text')
  name: string;

  @Column('text')
  scope: ApiKeyScope;

  /** First characters of the key, so an operator can tell keys apart without the secret. */
  @Column('text')
  prefix: string;

  /** Last four characters, as key listings elsewhere show them; null for keys made before they were kept. */
  @Column('text', { name: 'last_four', nullable: true })
  lastFour: string | null;

  @Column('bytea', { name: 'key_hash' })
  keyHash: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
