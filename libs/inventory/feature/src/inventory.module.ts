import { Module } from '@nestjs/common';
import { ReserveStockEventsController } from './reserve-stock/reserve-stock.events.controller';
import { ReserveStockUseCase } from './reserve-stock/reserve-stock.use-case';
import { StockController } from './stock/stock.controller';
import { StockUseCases } from './stock/stock.use-cases';
import { ReservationsController } from './reservations/reservations.controller';

@Module({
  controllers: [ReserveStockEventsController, StockController, ReservationsController],
  providers: [ReserveStockUseCase, StockUseCases],
})
export class InventoryModule {}
