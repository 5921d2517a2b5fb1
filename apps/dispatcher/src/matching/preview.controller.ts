import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { PreviewDto } from './dto/preview.dto.js';
import { PreviewView } from './dto/preview.view.js';
import { PreviewService } from './preview.service.js';

@Controller('v1/subscriptions')
@UseGuards(ApiKeyGuard)
export class PreviewController {
  constructor(private readonly previews: PreviewService) {}

  @Post('preview')
  @HttpCode(200)
  @ApiOkResponse({
    type: PreviewView,
    description: 'whether each change would match, and the body it would carry; nothing is stored or sent',
  })
  preview(@CurrentTenant() tenant: AuthenticatedTenant, @Body() dto: PreviewDto): PreviewView {
    return this.previews.preview(tenant.id, dto);
  }
}
