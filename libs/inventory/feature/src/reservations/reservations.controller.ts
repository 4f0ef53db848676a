import { BadRequestException, Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { ADMIN_ROLE, ApiErrorDto, RequireRole } from '@relay/service-runtime';
import { ReservationEntity } from '@relay/inventory/data-access';

class ReservationLineResponse {
  @ApiProperty({ example: 'SKU-1' })
  sku!: string;

  @ApiProperty({ example: 2 })
  quantity!: number;
}

export class ReservationResponse {
  @ApiProperty({ format: 'uuid' })
  orderId!: string;

  @ApiProperty({ enum: ['RESERVED', 'REJECTED', 'RELEASED', 'CANCELLED'] })
  status!: string;

  @ApiProperty({ type: [ReservationLineResponse] })
  lines!: ReservationLineResponse[];

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: { code: 'INVENTORY.INSUFFICIENT_STOCK', sku: 'SKU-2', requested: 5, available: 3 } })
  reason!: Record<string, unknown> | null;

  @ApiProperty()
  createdAt!: string;
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
@ApiTags('reservations')
@ApiBearerAuth()
@RequireRole(ADMIN_ROLE)
@ApiForbiddenResponse({ type: ApiErrorDto, description: 'The token lacks the admin role.' })
@Controller('reservations')
export class ReservationsController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':orderId')
  @ApiOkResponse({ type: ReservationResponse })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'Not processed yet, or unknown order.' })
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
