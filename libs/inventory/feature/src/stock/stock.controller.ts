import { Body, ConflictException, Controller, Get, NotFoundException, Param, Put } from '@nestjs/common';
import { available, StockLevel } from '@relay/inventory/domain';
import { skuPipe } from '../sku.pipe';
import { SetStockDto } from './set-stock.dto';
import { StockUseCases } from './stock.use-cases';

export interface StockResponse {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
}

const toResponse = (level: StockLevel): StockResponse => ({ ...level, available: available(level) });

@Controller('stock')
export class StockController {
  constructor(private readonly stock: StockUseCases) {}

  @Get(':sku')
  async get(@Param('sku', skuPipe) sku: string): Promise<StockResponse> {
    const level = await this.stock.get(sku);
    if (!level) throw new NotFoundException({ code: 'INVENTORY.UNKNOWN_SKU', message: `no stock is recorded for ${sku}` });
    return toResponse(level);
  }

  @Put(':sku')
  async set(@Param('sku', skuPipe) sku: string, @Body() body: SetStockDto): Promise<StockResponse> {
    const change = await this.stock.set(sku, body.onHand);
    if (!change.ok) throw new ConflictException({ code: change.code, message: change.message });
    return toResponse(change.level);
  }
}
