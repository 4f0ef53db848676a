import { BadRequestException, Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ReservationEntity } from '@relay/inventory/data-access';

export interface ReservationResponse {
  orderId: string;
  status: string;
  lines: { sku: string; quantity: number }[];
  reason: Record<string, unknown> | null;
  createdAt: string;
}

const orderIdPipe = new ParseUUIDPipe({
  exceptionFactory: () =>
    new BadRequestException({ code: 'VALIDATION_FAILED', message: 'orderId: must be a UUID', details: [{ field: 'orderId', problem: 'must be a UUID' }] }),
});

@Controller('reservations')
export class ReservationsController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':orderId')
  async get(@Param('orderId', orderIdPipe) orderId: string): Promise<ReservationResponse> {
    const reservation = await this.dataSource.manager.findOne(ReservationEntity, { where: { orderId } });
    if (!reservation) throw new NotFoundException({ code: 'INVENTORY.NO_RESERVATION', message: `no reservation for order ${orderId}` });
    return {
      orderId: reservation.orderId,
      status: reservation.status,
      lines: reservation.lines,
      reason: reservation.reason,
      createdAt: reservation.createdAt.toISOString(),
    };
  }
}
