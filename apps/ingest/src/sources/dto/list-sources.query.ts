import { PageQuery } from '@hub/runtime';

/** Sources by id; no filters of their own. */
export class ListSourcesQuery extends PageQuery {}
