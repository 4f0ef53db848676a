import { BadRequestException, Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeliveryEntity } from '@relay/delivery/data-access';

export interface DeliveryResponse {
  orderId: string;
  /** PENDING, PREPARED, SCHEDULED or CANCELLED. */
  status: string;
  deliveryDate: string | null;
  timeWindow: string | null;
  route: string | null;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
}

const orderIdPipe = new ParseUUIDPipe({
  exceptionFactory: () =>
    new BadRequestException({ code: 'VALIDATION_FAILED', message: 'orderId: must be a UUID', details: [{ field: 'orderId', problem: 'must be a UUID' }] }),
});

@Controller('deliveries')
export class DeliveriesController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':orderId')
  async get(@Param('orderId', orderIdPipe) orderId: string): Promise<DeliveryResponse> {
    const delivery = await this.dataSource.manager.findOne(DeliveryEntity, { where: { orderId } });
    if (!delivery) throw new NotFoundException({ code: 'DELIVERY.NOT_FOUND', message: `no delivery for order ${orderId}` });
    return {
      orderId: delivery.orderId,
      status: delivery.status,
      deliveryDate: delivery.deliveryDate,
      timeWindow: delivery.timeWindow,
      route: delivery.route,
      cancelReason: delivery.cancelReason,
      createdAt: delivery.createdAt.toISOString(),
      updatedAt: delivery.updatedAt.toISOString(),
    };
  }
}
