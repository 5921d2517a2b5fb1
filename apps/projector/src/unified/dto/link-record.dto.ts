import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { RECORD_ID } from '../unified-records.repository.js';
import { RECORD_ID_MESSAGE } from './record-id.pipe.js';

export class LinkRecordDto {
  @ApiProperty({
    example: 'solarproof:5150',
    description: 'the record to join by hand: <provider>:<id at the provider>, of the same kind',
  })
  @IsString()
  @Matches(RECORD_ID, { message: RECORD_ID_MESSAGE })
  record: string;
}
