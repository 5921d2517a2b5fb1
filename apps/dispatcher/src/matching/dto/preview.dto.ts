import { ApiProperty, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsObject,
  ValidateNested,
  Validate,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { isRecord, StateChangeContract, type DispatchableEvent } from '@hub/contracts';
import { CreateSubscriptionDto } from '../../subscriptions/dto/create-subscription.dto.js';

export const PREVIEW_MAX_CHANGES = 100;

/** The matching fields of a subscription, validated as when creating one. */
export class PreviewSubscriptionDto extends PickType(CreateSubscriptionDto, [
  'event_types',
  'trigger_fields',
  'payload_fields',
] as const) {}

/** Each change checked with the state-changes contract the consumer runs, the first bad one named. */
@ValidatorConstraint({ name: 'stateChanges' })
export class StateChangesRule implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return Array.isArray(value) && firstProblem(value) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return Array.isArray(args.value) ? (firstProblem(args.value) ?? '') : 'changes must be an array';
  }
}

function firstProblem(changes: unknown[]): string | null {
  for (const [i, change] of changes.entries()) {
    if (!isRecord(change)) return `changes[${i}] must be an object`;
    const problem = StateChangeContract.problem(change);
    if (problem) return `changes[${i}] is ${problem}`;
  }
  return null;
}

export class PreviewDto {
  @ApiProperty({
    type: PreviewSubscriptionDto,
    description: 'the subscription to try: its event_types, trigger_fields and payload_fields',
  })
  @IsObject()
  @ValidateNested()
  @Type(() => PreviewSubscriptionDto)
  subscription: PreviewSubscriptionDto;

  @ApiProperty({
    type: 'array',
    maxItems: PREVIEW_MAX_CHANGES,
    items: { type: 'object', additionalProperties: true },
    description:
      "state-change messages as the state-changes topic carries them (the StateChange contract), this tenant's",
  })
  @IsArray()
  @ArrayMaxSize(PREVIEW_MAX_CHANGES)
  @Validate(StateChangesRule)
  changes: DispatchableEvent[];
}
