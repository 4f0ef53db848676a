import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ORDER_STATUSES, Order, StatusChange, StatusReason } from '@relay/orders/domain';
import { OrderLineDto, ShippingAddressDto } from './place-order/place-order.dto';

export class StatusChangeResponse {
  @ApiProperty({ enum: ORDER_STATUSES, nullable: true })
  from!: string | null;

  @ApiProperty({ enum: ORDER_STATUSES })
  to!: string;

  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' })
  at!: string;

  @ApiProperty({ example: 'stock.reserved.v1', description: 'The event that caused the change, or `api`.' })
  cause!: string;
}

export class OrderResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'c-1' })
  customerId!: string;

  @ApiProperty({ enum: ORDER_STATUSES, example: 'SCHEDULED' })
  status!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Why the order is REJECTED or CANCELLED; null otherwise.',
    example: { code: 'INVENTORY.INSUFFICIENT_STOCK', sku: 'SKU-2', requested: 5, available: 3 },
  })
  reason!: StatusReason | null;

  @ApiProperty({ type: [OrderLineDto] })
  items!: { sku: string; quantity: number }[];

  @ApiProperty({ type: ShippingAddressDto, nullable: true })
  shippingAddress!: ShippingAddressDto | null;

  @ApiProperty()
  createdAt!: string;

  @ApiProperty()
  updatedAt!: string;

  @ApiPropertyOptional({ type: [StatusChangeResponse], description: 'On GET /orders/:id only.' })
  history?: StatusChangeResponse[];
}

export class OrderPageResponse {
  @ApiProperty({ type: [OrderResponse] })
  orders!: OrderResponse[];

  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor!: string | null;
}

export function toOrderResponse(order: Order, history?: StatusChange[]): OrderResponse {
  return {
    id: order.id,
    customerId: order.customerId,
    status: order.status,
    reason: order.statusReason,
    items: order.items,
    shippingAddress: order.shippingAddress,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    ...(history ? { history: history.map((change) => ({ from: change.from, to: change.to, at: change.at.toISOString(), cause: change.cause })) } : {}),
  };
}
