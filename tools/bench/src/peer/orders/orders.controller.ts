import { randomUUID } from 'node:crypto';
import { BadRequestException, Body, Controller, Inject, Post } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { PEER_KAFKA } from '../peer-app';
import { PEER_TOPICS, PeerOrderPlaced } from '../peer-contract';
import { PeerOrderEntity, PeerOrderLineEntity } from './orders.schema';

interface PlaceOrderBody {
  customerId: string;
  items: Array<{ sku: string; quantity: number }>;
}

/** Minimal validation, by hand: the shape POST /orders of Relay accepts from the load generator. */
function parse(body: unknown): PlaceOrderBody {
  const candidate = body as Partial<PlaceOrderBody> | null;
  const items = candidate?.items;
  if (typeof candidate?.customerId !== 'string' || candidate.customerId === '' || !Array.isArray(items) || items.length === 0) {
    throw new BadRequestException('customerId and a non-empty items list are required');
  }
  for (const item of items) {
    if (typeof item?.sku !== 'string' || item.sku === '' || !Number.isInteger(item.quantity) || item.quantity <= 0) {
      throw new BadRequestException('each item needs a sku and a positive whole quantity');
    }
  }
  return { customerId: candidate.customerId, items };
}

@Controller('orders')
export class PeerOrdersController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(PEER_KAFKA) private readonly kafka: ClientKafka,
  ) {}

  /**
   * Saves the order and its lines in one transaction, then emits order-placed and answers 201
   * without waiting for Kafka: the usual `emit()` after the save. If the send fails, or the process
   * dies before it completes, the order exists and its event never does; nobody is told.
   */
  @Post()
  async place(@Body() body: unknown): Promise<{ id: string; status: string }> {
    const { customerId, items } = parse(body);
    const id = randomUUID();
    const now = new Date();
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(PeerOrderEntity, { id, customerId, status: 'PLACED', createdAt: now, updatedAt: now });
      await manager.insert(
        PeerOrderLineEntity,
        items.map((item, index) => ({ orderId: id, lineNo: index + 1, sku: item.sku, quantity: item.quantity })),
      );
    });
    const event: PeerOrderPlaced = { orderId: id, customerId, items, placedAt: now.toISOString() };
    this.kafka.emit(PEER_TOPICS.orders, { key: id, value: event });
    return { id, status: 'PLACED' };
  }
}
