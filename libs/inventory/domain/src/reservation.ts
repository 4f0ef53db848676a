export interface StockLevel {
  sku: string;
  onHand: number;
  reserved: number;
}

export interface RequestedLine {
  sku: string;
  quantity: number;
}

export type RejectionReason =
  | { code: 'INVENTORY.UNKNOWN_SKU'; sku: string }
  | { code: 'INVENTORY.INSUFFICIENT_STOCK'; sku: string; requested: number; available: number };

export type ReservationDecision =
  | { status: 'RESERVED'; lines: RequestedLine[]; stock: StockLevel[] }
  | { status: 'REJECTED'; reason: RejectionReason };

export function available(level: StockLevel): number {
  return level.onHand - level.reserved;
}

/**
 * All or nothing: every line of an order is reserved, or none is. Insufficient stock is an
 * outcome, not an error: the decision says which SKU fell short and by how much. Returns the
 * stock levels after the reservation, for the caller to store.
 */
export function decideReservation(lines: RequestedLine[], stock: ReadonlyMap<string, StockLevel>): ReservationDecision {
  for (const line of lines) {
    const level = stock.get(line.sku);
    if (!level) return { status: 'REJECTED', reason: { code: 'INVENTORY.UNKNOWN_SKU', sku: line.sku } };
    if (available(level) < line.quantity) {
      return {
        status: 'REJECTED',
        reason: { code: 'INVENTORY.INSUFFICIENT_STOCK', sku: line.sku, requested: line.quantity, available: available(level) },
      };
    }
  }
  return {
    status: 'RESERVED',
    lines,
    stock: lines.map((line) => {
      const level = stock.get(line.sku)!;
      return { ...level, reserved: level.reserved + line.quantity };
    }),
  };
}

export type StockChange = { ok: true; level: StockLevel } | { ok: false; code: 'INVENTORY.BELOW_RESERVED'; message: string };

/** Sets the counted quantity on hand. It may not drop below what is already promised to orders. */
export function setOnHand(current: StockLevel | undefined, sku: string, onHand: number): StockChange {
  const reserved = current?.reserved ?? 0;
  if (onHand < reserved) {
    return { ok: false, code: 'INVENTORY.BELOW_RESERVED', message: `${sku} has ${reserved} reserved; on-hand cannot be set to ${onHand}` };
  }
  return { ok: true, level: { sku, onHand, reserved } };
}

/** Gives back what an order had reserved. Returns the stock levels after the release. */
export function releaseReservation(lines: RequestedLine[], stock: ReadonlyMap<string, StockLevel>): StockLevel[] {
  return lines.map((line) => {
    const level = stock.get(line.sku);
    if (!level) throw new Error(`no stock row for reserved SKU ${line.sku}`);
    return { ...level, reserved: Math.max(0, level.reserved - line.quantity) };
  });
}

export interface OrderToReserve {
  orderId: string;
  lines: RequestedLine[];
}

export interface ReservationRun {
  /** One decision per order, in the order given. */
  decisions: { orderId: string; decision: ReservationDecision }[];
  /** The final level of every SKU some reservation changed, to store once. */
  changed: StockLevel[];
}

/**
 * Decides a run of orders in arrival order against one picture of the stock: each order sees what
 * the ones before it left, exactly as if they had been decided one transaction at a time.
 */
export function decideReservations(orders: readonly OrderToReserve[], stock: ReadonlyMap<string, StockLevel>): ReservationRun {
  const levels = new Map(stock);
  const changed = new Set<string>();
  const decisions = orders.map(({ orderId, lines }) => {
    const decision = decideReservation(lines, levels);
    if (decision.status === 'RESERVED') {
      for (const level of decision.stock) {
        levels.set(level.sku, level);
        changed.add(level.sku);
      }
    }
    return { orderId, decision };
  });
  return { decisions, changed: [...changed].sort().map((sku) => levels.get(sku)!) };
}
