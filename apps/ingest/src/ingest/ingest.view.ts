import { ApiProperty } from '@nestjs/swagger';

/** A delivery mapped and published: the ids of the canonical events it became. */
export class IngestAcceptedView {
  @ApiProperty({ type: 'integer', minimum: 1 })
  accepted: number;

  @ApiProperty({ type: [String] })
  event_ids: string[];
}

/** Verified and kept, not mapped (GET /v1/sources/{id}/unmapped lists it); still a 200 for the provider. */
export class IngestUnmappedView {
  @ApiProperty({ enum: [0] })
  accepted: 0;

  @ApiProperty({ enum: [true] })
  unmapped: true;

  @ApiProperty()
  reason: string;
}
