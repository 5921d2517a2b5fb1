import { ApiProperty } from '@nestjs/swagger';

const OFFSET = {
  type: String,
  pattern: '^[0-9]+$',
  description: 'a decimal string: offsets can exceed 2^53',
};

export class PartitionEndView {
  @ApiProperty({ type: 'integer' })
  partition: number;

  @ApiProperty({ ...OFFSET, example: '42', description: 'the offset the next message will get' })
  end_offset: string;
}

export class TopicView {
  @ApiProperty({ example: 'hub.canonical.projects' })
  name: string;

  @ApiProperty({ type: [PartitionEndView] })
  partitions: PartitionEndView[];
}

export class PartitionLagView {
  @ApiProperty({ type: 'integer' })
  partition: number;

  @ApiProperty({
    ...OFFSET,
    nullable: true,
    example: '40',
    description: 'the next offset the group reads; null before its first commit on the partition',
  })
  committed_offset: string | null;

  @ApiProperty({ type: 'integer', example: 2, description: 'end offset minus committed offset (0 if none)' })
  lag: number;
}

export class GroupTopicView {
  @ApiProperty()
  topic: string;

  @ApiProperty({ type: [PartitionLagView] })
  partitions: PartitionLagView[];
}

export class GroupView {
  @ApiProperty({ example: 'projector' })
  group_id: string;

  @ApiProperty({ type: [GroupTopicView] })
  topics: GroupTopicView[];

  @ApiProperty({ type: 'integer', description: 'messages the group has yet to read, on all its partitions' })
  lag: number;
}

export class BusOverviewView {
  @ApiProperty({ enum: ['postgres-log', 'kafka'] })
  transport: 'postgres-log' | 'kafka';

  @ApiProperty({ type: [TopicView], description: 'every topic of the system' })
  topics: TopicView[];

  @ApiProperty({ type: [GroupView], description: "the apps' consumer groups" })
  groups: GroupView[];
}
