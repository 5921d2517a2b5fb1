import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { ApiKeyController } from './api-key.controller.js';

@Module({ imports: [TenancyModule], controllers: [ApiKeyController] })
export class ApiKeysModule {}
