import { ApiProperty } from '@nestjs/swagger';
import { PROVIDERS } from '@hub/contracts';

/**
 * The rules document, for the OpenAPI schema only: PUT /v1/unified/rules is checked by the
 * engine's own validator (linking-rules.ts), whose errors name the field.
 */
export class CustomerLinkingRules {
  @ApiProperty({
    description: 'customers with the same email (trimmed, lower case) are linked',
    example: true,
  })
  email: boolean;

  @ApiProperty({
    description: 'compare emails without their +tag (ada+solar@x.com = ada@x.com)',
    example: false,
  })
  plus_addressing: boolean;

  @ApiProperty({
    enum: ['unless_emails_differ', 'always', 'off'],
    description:
      'customers with the same phone number (E.164) are linked: unless both have emails and they ' +
      'differ, always, or never',
  })
  phone: string;

  @ApiProperty({
    example: 'US',
    description: 'ISO 3166 alpha-2 country of numbers written without a country code',
  })
  default_country: string;
}

export class ReferenceRule {
  @ApiProperty({ enum: PROVIDERS })
  provider: string;

  @ApiProperty({ example: 'reference_number', description: "a top-level field of that provider's projects" })
  field: string;

  @ApiProperty({ enum: PROVIDERS })
  other_provider: string;

  @ApiProperty({ example: 'reference_number' })
  other_field: string;
}

export class ProjectLinkingRules {
  @ApiProperty({
    type: [ReferenceRule],
    maxItems: 20,
    description: "projects are linked when one provider's field equals the other's (trimmed text)",
  })
  references: ReferenceRule[];

  @ApiProperty({
    description:
      'true: two projects also link when the customers they name are one unified customer, ' +
      'whichever of its records each names (off by default)',
    example: false,
  })
  via_customer: boolean;
}

export class ConflictRules {
  @ApiProperty({ enum: ['latest'], description: 'a merged field takes the most recently changed value' })
  default: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string', enum: [...PROVIDERS] } },
    example: { phone: ['solarproof', 'opensolar'] },
    description: 'per merged field, providers in order of trust: the first with a value wins',
  })
  rank: Record<string, string[]>;
}

export class LinkingRulesDocument {
  @ApiProperty({ type: CustomerLinkingRules })
  customer: CustomerLinkingRules;

  @ApiProperty({ type: ProjectLinkingRules })
  project: ProjectLinkingRules;

  @ApiProperty({ type: ConflictRules })
  conflicts: ConflictRules;
}

export class LinkingRulesView {
  @ApiProperty({
    type: LinkingRulesDocument,
    description: "the tenant's rules, the defaults where it set none",
  })
  rules: LinkingRulesDocument;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'when the tenant last changed them; null: the defaults',
  })
  updated_at: string | null;
}

export class LinkingRulesChangeView extends LinkingRulesView {
  @ApiProperty({
    type: 'integer',
    description: 'how many records now share their unified record with different records than before',
  })
  regrouped: number;
}
