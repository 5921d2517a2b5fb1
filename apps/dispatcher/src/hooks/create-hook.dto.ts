import { IsString, Length, Matches } from 'class-validator';

/** REST Hooks (Zapier and other no-code tools): subscribe one URL to one event type. */
export class CreateHookDto {
  @IsString()
  @Length(1, 2_000)
  hookUrl: string;

  @Matches(/^[A-Za-z0-9._*-]{1,100}$/, { message: 'event must be an event type such as project.updated' })
  event: string;
}
