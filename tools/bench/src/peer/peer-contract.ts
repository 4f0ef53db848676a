/**
 * What the peer's apps and the bench share: topic names, event payloads and app names. No imports,
 * so the bench reads it without loading Nest.
 */

/** The peer's topics: its own, so it never reads Relay's events (or Relay its). */
export const PEER_TOPICS = {
  /** `PeerOrderPlaced`, keyed by order id. */
  orders: 'relay-peer.orders',
  /** `PeerStockEvent`, keyed by order id. */
  stock: 'relay-peer.stock',
} as const;

export interface PeerOrderPlaced {
  orderId: string;
  customerId: string;
  items: Array<{ sku: string; quantity: number }>;
  placedAt: string;
}

export interface PeerStockEvent {
  orderId: string;
  outcome: 'RESERVED' | 'REJECTED';
}

/** Names each peer app prints in its "<name> listening on" line. */
export const PEER_APPS = ['peer-orders', 'peer-inventory', 'peer-delivery'] as const;
export type PeerAppName = (typeof PEER_APPS)[number];
