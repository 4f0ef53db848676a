import { Body, ConflictException, Controller, Get, NotFoundException, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiErrorDto } from '@relay/service-runtime';
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

@ApiTags('stock')
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
  @ApiOkResponse({ type: StockResponse })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'onHand would drop below what is reserved.' })
  async set(@Param('sku', skuPipe) sku: string, @Body() body: SetStockDto): Promise<StockResponse> {
    const change = await this.stock.set(sku, body.onHand);
    if (!change.ok) throw new ConflictException({ code: change.code, message: change.message });
    return toResponse(change.level);
  }
}
