import { Order, ShippingAddress, StatusChange, StatusReason } from '@relay/orders/domain';

export interface OrderResponse {
  id: string;
  customerId: string;
  status: string;
  /** Why the order is REJECTED or CANCELLED; null otherwise. */
  reason: StatusReason | null;
  items: { sku: string; quantity: number }[];
  shippingAddress: ShippingAddress | null;
  createdAt: string;
  updatedAt: string;
  history?: { from: string | null; to: string; at: string; cause: string }[];
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
