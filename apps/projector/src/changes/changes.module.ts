import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { ChangesController } from './changes.controller.js';
import { ChangesRepository } from './changes.repository.js';
import { ChangesService } from './changes.service.js';

@Module({
  imports: [TenancyModule],
  controllers: [ChangesController],
  providers: [ChangesRepository, ChangesService],
})
export class ChangesModule {}
