import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export const STATS_WINDOWS = { '1h': 3_600, '24h': 86_400, '7d': 604_800 } as const;
export type StatsWindow = keyof typeof STATS_WINDOWS;
export const WINDOW_NAMES = Object.keys(STATS_WINDOWS) as StatsWindow[];

export class SubscriptionStatsQuery {
  @ApiPropertyOptional({ enum: WINDOW_NAMES, default: '24h', description: 'how far back; absent: 24h' })
  @IsOptional()
  @IsIn(WINDOW_NAMES, { message: 'window must be 1h, 24h or 7d' })
  window?: StatsWindow;
}
