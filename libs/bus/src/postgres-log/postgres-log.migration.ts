import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables of the Postgres-log transport. Messages are list-partitioned by topic. */
export class BusLog1732262400000 implements MigrationInterface {
  name = 'BusLog1732262400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE bus_topics (
        name text PRIMARY KEY,
        partitions integer NOT NULL CHECK (partitions > 0),
        table_name text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE bus_partitions (
        topic text NOT NULL REFERENCES bus_topics (name),
        partition integer NOT NULL,
        next_offset bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (topic, partition)
      )`);
    await runner.query(`
      CREATE TABLE bus_messages (
        topic text NOT NULL,
        partition integer NOT NULL,
        "offset" bigint NOT NULL,
        key text NOT NULL,
        value bytea NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (topic, partition, "offset")
      ) PARTITION BY LIST (topic)`);
    await runner.query(`
      CREATE TABLE bus_offsets (
        group_id text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        committed_offset bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE bus_offsets');
    await runner.query('DROP TABLE bus_messages');
    await runner.query('DROP TABLE bus_partitions');
    await runner.query('DROP TABLE bus_topics');
  }
}
