import { Module } from '@nestjs/common';
import { OrderEventsController } from './reserve-stock/order-events.controller';
import { ReserveStockUseCase } from './reserve-stock/reserve-stock.use-case';
import { StockController } from './stock/stock.controller';
import { StockUseCases } from './stock/stock.use-cases';
import { ReservationsController } from './reservations/reservations.controller';

@Module({
  controllers: [OrderEventsController, StockController, ReservationsController],
  providers: [ReserveStockUseCase, StockUseCases],
})
export class InventoryModule {}
