import { OrderStatus, StatusReason } from './order-status';

export interface OrderLine {
  sku: string;
  quantity: number;
}

export interface ShippingAddress {
  line1: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

export interface StatusChange {
  from: OrderStatus | null;
  to: OrderStatus;
  at: Date;
  /** What caused it: an event type (`stock.reserved.v1`) or `api` for a request. */
  cause: string;
}

export interface Order {
  id: string;
  customerId: string;
  status: OrderStatus;
  /** Why the order is REJECTED or CANCELLED; null otherwise. */
  statusReason: StatusReason | null;
  items: OrderLine[];
  shippingAddress: ShippingAddress | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface PlaceOrderCommand {
  customerId: string;
  items: OrderLine[];
  shippingAddress?: ShippingAddress;
}

/** A rule of the domain the command broke. `code` is stable; `field` points at the culprit. */
export interface OrderRejection {
  code: 'ORDERS.DUPLICATE_SKU';
  message: string;
  field: string;
}

export type PlaceOrderResult = { ok: true; order: Order } | { ok: false; rejection: OrderRejection };

/**
 * Decides whether an order can be placed. Shape checks (types, ranges) happen at the edge; this
 * holds the rules that need the whole order: one line per SKU, so stock is reserved per line
 * without ambiguity.
 */
export function placeOrder(command: PlaceOrderCommand, identity: { id: string; now: Date }): PlaceOrderResult {
  const seen = new Set<string>();
  for (const [index, line] of command.items.entries()) {
    if (seen.has(line.sku)) {
      return {
        ok: false,
        rejection: { code: 'ORDERS.DUPLICATE_SKU', message: `SKU ${line.sku} appears more than once; put its whole quantity on one line`, field: `items.${index}.sku` },
      };
    }
    seen.add(line.sku);
  }
  return {
    ok: true,
    order: {
      id: identity.id,
      customerId: command.customerId,
      status: 'PENDING',
      statusReason: null,
      items: command.items.map((line) => ({ sku: line.sku, quantity: line.quantity })),
      shippingAddress: command.shippingAddress ? { ...command.shippingAddress } : null,
      createdAt: identity.now,
      updatedAt: identity.now,
    },
  };
}
