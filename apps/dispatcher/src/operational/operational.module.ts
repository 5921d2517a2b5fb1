import { Module } from '@nestjs/common';
import { OperationalEvents } from './operational-events.js';

@Module({ providers: [OperationalEvents], exports: [OperationalEvents] })
export class OperationalModule {}
