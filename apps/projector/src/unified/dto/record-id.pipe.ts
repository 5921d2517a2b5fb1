import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { RECORD_ID } from '../unified-records.repository.js';

export const RECORD_ID_MESSAGE = 'record must be a record id: <provider>:<id at the provider>';

/** A `:record` path parameter: a provider's record id, else a 400 before the service runs. */
@Injectable()
export class RecordIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!RECORD_ID.test(value)) throw new BadRequestException(RECORD_ID_MESSAGE);
    return value;
  }
}
