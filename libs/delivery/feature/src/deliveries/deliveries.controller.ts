import { BadRequestException, Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { ADMIN_ROLE, ApiErrorDto, RequireRole } from '@relay/service-runtime';
import { DeliveryEntity } from '@relay/delivery/data-access';

export class DeliveryResponse {
  @ApiProperty({ format: 'uuid' })
  orderId!: string;

  @ApiProperty({ enum: ['PENDING', 'PREPARED', 'SCHEDULED', 'CANCELLED'] })
  status!: string;

  @ApiProperty({ type: String, nullable: true, example: '2026-11-28' })
  deliveryDate!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '10:00-12:00' })
  timeWindow!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'FR-R07' })
  route!: string | null;

  @ApiProperty({ type: String, nullable: true, enum: ['STOCK_REJECTED', 'ORDER_CANCELLED'] })
  cancelReason!: string | null;

  @ApiProperty()
  createdAt!: string;

  @ApiProperty()
  updatedAt!: string;
}

const orderIdPipe = new ParseUUIDPipe({
  exceptionFactory: () =>
    new BadRequestException({ code: 'VALIDATION_FAILED', message: 'orderId: must be a UUID', details: [{ field: 'orderId', problem: 'must be a UUID' }] }),
});

/**
 * Operators only: this service does not know whose order it is (the customer lives in orders), and
 * asking orders on every read would couple the services; a customer follows its order's status
 * history through GET /orders/:id instead.
 */
@ApiTags('deliveries')
@ApiBearerAuth()
@RequireRole(ADMIN_ROLE)
@ApiForbiddenResponse({ type: ApiErrorDto, description: 'The token lacks the admin role.' })
@Controller('deliveries')
export class DeliveriesController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':orderId')
  @ApiOkResponse({ type: DeliveryResponse })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'Not processed yet, or unknown order.' })
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
