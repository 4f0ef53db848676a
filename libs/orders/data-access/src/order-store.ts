import { EntityManager } from 'typeorm';
import { Order, OrderStatus, StatusChange } from '@relay/orders/domain';
import { OrderEntity } from './order.entity';
import { OrderLineEntity } from './order-line.entity';

export interface IdempotencyRecord {
  key: string;
  requestHash: string;
}

function toOrder(entity: OrderEntity, lines: OrderLineEntity[]): Order {
  return {
    id: entity.id,
    customerId: entity.customerId,
    status: entity.status as OrderStatus,
    statusReason: entity.statusReason,
    shippingAddress: entity.shippingAddress,
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
    items: [...lines].sort((a, b) => a.lineNo - b.lineNo).map((line) => ({ sku: line.sku, quantity: line.quantity })),
  };
}

async function linesOf(manager: EntityManager, orderIds: string[]): Promise<Map<string, OrderLineEntity[]>> {
  const byOrder = new Map<string, OrderLineEntity[]>();
  if (orderIds.length === 0) return byOrder;
  const lines = await manager
    .createQueryBuilder(OrderLineEntity, 'line')
    .where('line.order_id = ANY(:ids)', { ids: orderIds })
    .getMany();
  for (const line of lines) byOrder.set(line.orderId, [...(byOrder.get(line.orderId) ?? []), line]);
  return byOrder;
}

/** Reads an order; with `lock`, holds its row until the transaction ends (status changes serialise). */
export async function findOrder(manager: EntityManager, id: string, options: { lock?: boolean } = {}): Promise<Order | null> {
  const entity = await manager.findOne(OrderEntity, { where: { id }, ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  if (!entity) return null;
  return toOrder(entity, (await linesOf(manager, [id])).get(id) ?? []);
}

/** The order's status changes, oldest first (empty if there is no such order). */
export async function statusHistory(manager: EntityManager, orderId: string): Promise<StatusChange[]> {
  const entity = await manager.findOne(OrderEntity, { where: { id: orderId }, select: { id: true, statusHistory: true } });
  return (entity?.statusHistory ?? []).map((entry) => ({ from: entry.from, to: entry.to, at: new Date(entry.at), cause: entry.cause }));
}

export interface OrderPageQuery {
  status?: OrderStatus;
  customerId?: string;
  /** Exclusive: the (createdAt, id) of the last order of the previous page. */
  after?: { createdAt: Date; id: string };
  limit: number;
}

/** Newest first, keyset-paginated on (created_at, id): stable under concurrent inserts. */
export async function listOrders(manager: EntityManager, query: OrderPageQuery): Promise<Order[]> {
  const builder = manager.createQueryBuilder(OrderEntity, 'o').orderBy('o.created_at', 'DESC').addOrderBy('o.id', 'DESC').limit(query.limit);
  if (query.status) builder.andWhere('o.status = :status', { status: query.status });
  if (query.customerId) builder.andWhere('o.customer_id = :customerId', { customerId: query.customerId });
  if (query.after) builder.andWhere('(o.created_at, o.id) < (:afterAt, :afterId)', { afterAt: query.after.createdAt, afterId: query.after.id });
  const entities = await builder.getMany();
  const lines = await linesOf(manager, entities.map((entity) => entity.id));
  return entities.map((entity) => toOrder(entity, lines.get(entity.id) ?? []));
}
