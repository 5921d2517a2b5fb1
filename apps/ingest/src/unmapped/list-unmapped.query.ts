import { PageQuery } from '@hub/runtime';

/** Oldest first; no filters of their own. */
export class ListUnmappedQuery extends PageQuery {}
