import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** An API key is stored as its SHA-256 only; the key itself is shown once, when created. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId: string;

  /** First characters of the key, so an operator can tell keys apart without the secret. */
  @Column('text')
  prefix: string;

  @Column('bytea', { name: 'key_hash' })
  keyHash: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
