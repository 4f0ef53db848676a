import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { PEER_TOPICS, PeerOrderPlaced, PeerStockEvent } from '../peer-contract';
import { PeerDeliveryEntity } from './delivery.schema';

const TIME_WINDOWS = ['08:00-10:00', '10:00-12:00', '12:00-14:00', '14:00-16:00', '16:00-18:00'];

/**
 * The two topics come on different partitions, so a stock outcome can arrive before its order:
 * both handlers write the same row and the later one only fills in what it knows. Ordering within
 * one order's events is all kafkajs gives; a redelivery rewrites the same values.
 */
@Controller()
export class PeerDeliveryEventsController {
  constructor(@InjectRepository(PeerDeliveryEntity) private readonly deliveries: Repository<PeerDeliveryEntity>) {}

  /** Plans the delivery (the day after, a window by order) as PENDING. */
  @EventPattern(PEER_TOPICS.orders)
  async plan(@Payload() order: PeerOrderPlaced): Promise<void> {
    const placed = new Date(order.placedAt);
    const day = new Date(Date.UTC(placed.getUTCFullYear(), placed.getUTCMonth(), placed.getUTCDate() + 1)).toISOString().slice(0, 10);
    const timeWindow = TIME_WINDOWS[parseInt(order.orderId.slice(0, 8), 16) % TIME_WINDOWS.length];
    await this.deliveries
      .createQueryBuilder()
      .insert()
      .values({ orderId: order.orderId, status: 'PENDING', deliveryDate: day, timeWindow, route: 'PICKUP', stockStatus: 'UNKNOWN' })
      .orUpdate(['delivery_date', 'time_window', 'route'], ['order_id'])
      .execute();
  }

  /** SCHEDULED once stock is reserved, CANCELLED when it was rejected. */
  @EventPattern(PEER_TOPICS.stock)
  async settle(@Payload() stock: PeerStockEvent): Promise<void> {
    const reserved = stock.outcome === 'RESERVED';
    await this.deliveries.upsert(
      { orderId: stock.orderId, status: reserved ? 'SCHEDULED' : 'CANCELLED', stockStatus: stock.outcome, updatedAt: () => 'now()' },
      ['orderId'],
    );
  }
}
