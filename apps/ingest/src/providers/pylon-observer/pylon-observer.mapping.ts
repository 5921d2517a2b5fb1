import { Type } from 'class-transformer';
import { IsArray, IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { SNAPSHOT_TYPES } from '@hub/contracts';
import { PYLON_OBSERVER_TIMESTAMP_HEADER, type InboundRequest } from '@hub/signing';
import { unmapped } from '../mapping-fields.js';
import type { MappedDelivery, ProviderMapping } from '../provider.js';

class PylonTeam {
  @IsString()
  @Length(1, 200)
  uid: string;

  @IsOptional()
  @IsString()
  name?: string;
}

class PylonDesign {
  @IsString()
  @Length(1, 200)
  uid: string;

  @IsOptional()
  @IsObject()
  summary?: Record<string, unknown>;
}

class PylonProject {
  @IsString()
  @Length(1, 200)
  uid: string;

  @IsOptional()
  @IsString()
  reference_number?: string;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PylonDesign)
  designs?: PylonDesign[];

  [field: string]: unknown;
}

/** `{team, projects[]}`, sent every 60 s with every project edited since the last batch. */
export class PylonBatch {
  // Required: @ValidateNested alone passes an absent team, and the mapping reads team.uid (a 500).
  @IsObject({ message: 'team must be an object' })
  @ValidateNested()
  @Type(() => PylonTeam)
  team: PylonTeam;

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PylonProject)
  projects: PylonProject[];
}

const MAPPED = ['uid', 'reference_number', 'designs', 'updated_at'];
/** Node gives header names in lower case. */
const SENT_AT_HEADER = PYLON_OBSERVER_TIMESTAMP_HEADER.toLowerCase();

export const pylonObserverMapping: ProviderMapping<PylonBatch> = {
  payload: PylonBatch,
  map(batch: PylonBatch, request: InboundRequest): MappedDelivery {
    const sentAt = sentTime(request);
    // One event per project: a batch of 40 projects is 40 events, each keyed by its project.
    const events = batch.projects.map((project) => ({
      topic: 'projects' as const,
      type: SNAPSHOT_TYPES.project,
      externalId: project.uid,
      ...(typeof project['updated_at'] === 'string'
        ? { time: project['updated_at'] }
        : sentAt
          ? { time: sentAt }
          : {}),
      data: {
        external_id: project.uid,
        reference_number: project.reference_number ?? null,
        team: { uid: batch.team.uid, name: batch.team.name ?? null },
        designs: (project.designs ?? []).map((design) => ({
          uid: design.uid,
          summary: design.summary ?? {},
        })),
        provider_updated_at: typeof project['updated_at'] === 'string' ? project['updated_at'] : null,
        attributes: unmapped(project as Record<string, unknown>, MAPPED),
      },
    }));
    return { kind: 'events', events };
  },
};

/** The signed timestamp header, as an ISO time (already checked to be within 60 s). */
function sentTime(request: InboundRequest): string | undefined {
  const header = request.headers[SENT_AT_HEADER];
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isInteger(seconds) ? new Date(seconds * 1000).toISOString() : undefined;
}
