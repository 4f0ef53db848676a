import { EntityManager } from 'typeorm';
import { Order, OrderStatus } from '@relay/orders/domain';
import { OrderEntity } from './order.entity';
import { OrderLineEntity } from './order-line.entity';

export async function insertOrder(manager: EntityManager, order: Order): Promise<void> {
  await manager.insert(OrderEntity, { id: order.id, customerId: order.customerId, status: order.status, createdAt: order.createdAt });
  await manager.insert(
    OrderLineEntity,
    order.items.map((line, index) => ({ orderId: order.id, lineNo: index + 1, sku: line.sku, quantity: line.quantity })),
  );
}

export async function findOrder(manager: EntityManager, id: string): Promise<Order | null> {
  const entity = await manager.findOne(OrderEntity, { where: { id }, relations: { lines: true } });
  if (!entity) return null;
  return {
    id: entity.id,
    customerId: entity.customerId,
    status: entity.status as OrderStatus,
    createdAt: entity.createdAt,
    items: [...entity.lines].sort((a, b) => a.lineNo - b.lineNo).map((line) => ({ sku: line.sku, quantity: line.quantity })),
  };
}
