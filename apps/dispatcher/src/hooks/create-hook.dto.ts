import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

/** REST Hooks (Zapier and other no-code tools): subscribe one URL to one event type. */
export class CreateHookDto {
  @ApiProperty({ format: 'uri', maxLength: 2_000 })
  @IsString()
  @Length(1, 2_000)
  hookUrl: string;

  @ApiProperty({ example: 'project.updated' })
  @Matches(/^[A-Za-z0-9._*-]{1,100}$/, { message: 'event must be an event type such as project.updated' })
  event: string;
}

export class HookView {
  @ApiProperty({ description: "the subscription's id; DELETE /v1/hooks/{id} unsubscribes" })
  id: string;

  @ApiProperty({ format: 'uri' })
  hookUrl: string;

  @ApiProperty()
  event: string;

  @ApiProperty({ enum: ['pending', 'active', 'disabled'] })
  status: string;
}
