import { PageQuery } from '@hub/runtime';

/** Subscriptions by id; no filters of their own. */
export class ListSubscriptionsQuery extends PageQuery {}
