import { Controller, Inject } from '@nestjs/common';
import { ClientKafka, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource, In } from 'typeorm';
import { PEER_KAFKA } from '../peer-app';
import { PEER_TOPICS, PeerOrderPlaced, PeerStockEvent } from '../peer-contract';
import { PeerReservationEntity, PeerStockItemEntity } from './inventory.schema';

@Controller()
export class PeerOrderEventsController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(PEER_KAFKA) private readonly kafka: ClientKafka,
  ) {}

  /**
   * Reserves the order's stock: locks its SKUs' rows, and if every line is available raises their
   * `reserved` and records a RESERVED reservation, else a REJECTED one; then emits the outcome.
   * A redelivered order (a crash before the offset commit) violates the reservation's primary key:
   * the handler throws and kafkajs retries that offset forever, blocking the partition.
   */
  @EventPattern(PEER_TOPICS.orders)
  async reserve(@Payload() order: PeerOrderPlaced): Promise<void> {
    const skus = [...new Set(order.items.map((item) => item.sku))].sort();
    const outcome = await this.dataSource.transaction(async (manager) => {
      // Locked in SKU order, so two orders sharing SKUs cannot deadlock.
      const stock = await manager.find(PeerStockItemEntity, { where: { sku: In(skus) }, order: { sku: 'ASC' }, lock: { mode: 'pessimistic_write' } });
      const bySku = new Map(stock.map((item) => [item.sku, item]));
      const short = order.items.find((item) => {
        const row = bySku.get(item.sku);
        return !row || row.onHand - row.reserved < item.quantity;
      });
      if (short) {
        await manager.insert(PeerReservationEntity, { orderId: order.orderId, status: 'REJECTED', lines: order.items, reason: { code: 'INSUFFICIENT_STOCK', sku: short.sku } });
        return 'REJECTED' as const;
      }
      for (const item of order.items) await manager.increment(PeerStockItemEntity, { sku: item.sku }, 'reserved', item.quantity);
      await manager.insert(PeerReservationEntity, { orderId: order.orderId, status: 'RESERVED', lines: order.items, reason: null });
      return 'RESERVED' as const;
    });
    const event: PeerStockEvent = { orderId: order.orderId, outcome };
    this.kafka.emit(PEER_TOPICS.stock, { key: order.orderId, value: event });
  }
}
