import { Body, ConflictException, Controller, Get, NotFoundException, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ADMIN_ROLE, ApiErrorDto, RequireRole } from '@relay/service-runtime';
import { available, StockLevel } from '@relay/inventory/domain';
import { skuPipe } from '../sku.pipe';
import { SetStockDto } from './set-stock.dto';
import { StockUseCases } from './stock.use-cases';

export class StockResponse {
  @ApiProperty({ example: 'SKU-1' })
  sku!: string;

  @ApiProperty({ example: 1000 })
  onHand!: number;

  @ApiProperty({ example: 2, description: 'Promised to orders, not yet shipped.' })
  reserved!: number;

  @ApiProperty({ example: 998, description: 'onHand - reserved' })
  available!: number;
}

const toResponse = (level: StockLevel): StockResponse => ({ ...level, available: available(level) });

/** Any token reads a SKU's stock (what a shop shows as available); only an admin sets it. */
@ApiTags('stock')
@ApiBearerAuth()
@ApiBadRequestResponse({ type: ApiErrorDto })
@Controller('stock')
export class StockController {
  constructor(private readonly stock: StockUseCases) {}

  @Get(':sku')
  @ApiOkResponse({ type: StockResponse })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  async get(@Param('sku', skuPipe) sku: string): Promise<StockResponse> {
    const level = await this.stock.get(sku);
    if (!level) throw new NotFoundException({ code: 'INVENTORY.UNKNOWN_SKU', message: `no stock is recorded for ${sku}` });
    return toResponse(level);
  }

  @Put(':sku')
  @RequireRole(ADMIN_ROLE)
  @ApiForbiddenResponse({ type: ApiErrorDto, description: 'The token lacks the admin role.' })
  @ApiOkResponse({ type: StockResponse })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'onHand would drop below what is reserved.' })
  async set(@Param('sku', skuPipe) sku: string, @Body() body: SetStockDto): Promise<StockResponse> {
    const change = await this.stock.set(sku, body.onHand);
    if (!change.ok) throw new ConflictException({ code: change.code, message: change.message });
    return toResponse(change.level);
  }
}
