import { DeliveryTraceContext1732262400302 } from './deliveries/delivery-trace.migration.js';
import { Deliveries1732262400301 } from './deliveries/delivery.migration.js';
import { DeliveriesFinished1732262400303 } from './retention/deliveries-finished.migration.js';
import { Subscriptions1732262400300 } from './subscriptions/subscription.migration.js';

/** The dispatcher's schema, in the order the migrations run (the app and the medium tests open it). */
export const DISPATCHER_MIGRATIONS = [
  Subscriptions1732262400300,
  Deliveries1732262400301,
  DeliveryTraceContext1732262400302,
  DeliveriesFinished1732262400303,
];
