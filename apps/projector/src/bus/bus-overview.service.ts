import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { EVENT_BUS, type EventBus } from '@hub/bus';
import { topicNames, type Topics } from '@hub/contracts';
import { withTimeout } from '@hub/runtime';
import { ProjectorConfig } from '../config/projector.config.js';
import { projectionLaneTable } from '../projection/projection.lane-table.js';
import type { BusOverviewView, GroupTopicView, GroupView, TopicView } from './bus-overview.view.js';

/** The whole overview waits this long for the bus; past it the answer is a 503. */
const BUS_TIMEOUT_MS = 5_000;

interface ConsumerGroup {
  groupId: string;
  topics: string[];
}

type Offsets = Array<{ partition: number; offset: string }>;

/**
 * Topics, their end offsets and the apps' consumer groups' committed offsets, through the bus
 * port: the same on either transport. System-wide numbers only, no tenant's data.
 */
@Injectable()
export class BusOverviewService {
  private readonly topics: Topics;
  private readonly groups: ConsumerGroup[];

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    config: ProjectorConfig,
  ) {
    this.topics = topicNames(config.TOPIC_PREFIX);
    this.groups = consumerGroups(config, this.topics);
  }

  async overview(): Promise<BusOverviewView> {
    try {
      return await withTimeout(this.read(), BUS_TIMEOUT_MS);
    } catch (error) {
      throw new ServiceUnavailableException(`the bus did not answer: ${(error as Error).message}`);
    }
  }

  private async read(): Promise<BusOverviewView> {
    const names = Object.values(this.topics);
    const ends = new Map(
      await Promise.all(names.map(async (name) => [name, await this.bus.latestOffsets(name)] as const)),
    );
    const topics: TopicView[] = names.map((name) => ({
      name,
      partitions: (ends.get(name) ?? []).map(({ partition, offset }) => ({ partition, end_offset: offset })),
    }));
    const groups = await Promise.all(this.groups.map((group) => this.groupView(group, ends)));
    return { transport: this.bus.transport, topics, groups };
  }

  private async groupView(group: ConsumerGroup, ends: Map<string, Offsets>): Promise<GroupView> {
    const topics = await Promise.all(
      group.topics.map(async (topic) =>
        groupTopicView(topic, ends.get(topic) ?? [], await this.bus.committedOffsets(group.groupId, topic)),
      ),
    );
    const lag = topics.flatMap((t) => t.partitions).reduce((sum, p) => sum + p.lag, 0);
    return { group_id: group.groupId, topics, lag };
  }
}

function groupTopicView(topic: string, ends: Offsets, committed: Offsets): GroupTopicView {
  const committedBy = new Map(committed.map(({ partition, offset }) => [partition, offset]));
  return {
    topic,
    partitions: ends.map(({ partition, offset }) => {
      const done = committedBy.get(partition) ?? null;
      // Read apart, a commit can land between the two readings: never below 0.
      const lag = BigInt(offset) - BigInt(done ?? 0);
      return { partition, committed_offset: done, lag: lag > 0n ? Number(lag) : 0 };
    }),
  };
}

/** The projector's groups from its lane table, and the dispatcher's over the state-changes topic. */
function consumerGroups(config: ProjectorConfig, topics: Topics): ConsumerGroup[] {
  const projector = Object.values(projectionLaneTable(config)).map(({ groupId, topics }) => ({
    groupId,
    topics,
  }));
  return [...projector, { groupId: config.DISPATCHER_GROUP_ID, topics: [topics.stateChanges] }];
}
