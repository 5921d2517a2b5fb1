import { PartialType } from '@nestjs/swagger';
import { CreateSubscriptionDto } from './create-subscription.dto.js';

/** Every field optional; a new secret is set with rotate-secret, not here. */
export class UpdateSubscriptionDto extends PartialType(CreateSubscriptionDto) {}
