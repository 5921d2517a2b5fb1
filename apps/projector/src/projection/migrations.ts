import { DocumentsAsJson1732262400220 } from './documents-as-json.migration.js';
import { HistoryByTime1732262400230 } from './history-by-time.migration.js';
import { HistoryPatches1732262400210 } from './history-patches.migration.js';
import { Projection1732262400200 } from './projection.migration.js';
import { UnifiedRecords1732262400240 } from '../unified/unified.migration.js';

/** The projector's schema, in the order the migrations run (the app and the CLI's rebuild both open it). */
export const PROJECTOR_MIGRATIONS = [
  Projection1732262400200,
  HistoryPatches1732262400210,
  DocumentsAsJson1732262400220,
  HistoryByTime1732262400230,
  UnifiedRecords1732262400240,
];
