import { Order } from '@relay/orders/domain';

export interface OrderResponse {
  id: string;
  customerId: string;
  status: string;
  items: { sku: string; quantity: number }[];
  createdAt: string;
}

export function toOrderResponse(order: Order): OrderResponse {
  return { id: order.id, customerId: order.customerId, status: order.status, items: order.items, createdAt: order.createdAt.toISOString() };
}
