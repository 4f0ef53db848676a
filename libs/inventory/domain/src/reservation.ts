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
 * The quantity asked of each SKU, in the order SKUs first appear: lines naming the same SKU are
 * added up. Event contracts refuse such orders, but the arithmetic must not depend on it: checked
 * line by line, [{A,10},{A,10}] against 10 available would pass twice and reserve 20 of 10.
 */
export function quantitiesBySku(lines: readonly RequestedLine[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(line.sku, (totals.get(line.sku) ?? 0) + line.quantity);
  return totals;
}

/**
 * All or nothing: every line of an order is reserved, or none is. Insufficient stock is an
 * outcome, not an error: the decision says which SKU fell short and by how much. Returns the
 * stock levels after the reservation (one per SKU), for the caller to store.
 */
export function decideReservation(lines: RequestedLine[], stock: ReadonlyMap<string, StockLevel>): ReservationDecision {
  const requested = quantitiesBySku(lines);
  for (const [sku, quantity] of requested) {
    const level = stock.get(sku);
    if (!level) return { status: 'REJECTED', reason: { code: 'INVENTORY.UNKNOWN_SKU', sku } };
    if (available(level) < quantity) {
      return { status: 'REJECTED', reason: { code: 'INVENTORY.INSUFFICIENT_STOCK', sku, requested: quantity, available: available(level) } };
    }
  }
  return {
    status: 'RESERVED',
    lines,
    stock: [...requested].map(([sku, quantity]) => {
      const level = stock.get(sku)!;
      return { ...level, reserved: level.reserved + quantity };
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

/** Gives back what an order had reserved. Returns the stock levels after the release (one per SKU). */
export function releaseReservation(lines: RequestedLine[], stock: ReadonlyMap<string, StockLevel>): StockLevel[] {
  return [...quantitiesBySku(lines)].map(([sku, quantity]) => {
    const level = stock.get(sku);
    if (!level) throw new Error(`no stock row for reserved SKU ${sku}`);
    return { ...level, reserved: Math.max(0, level.reserved - quantity) };
  });
}

export type ReservationStatus = 'RESERVED' | 'REJECTED' | 'RELEASED' | 'CANCELLED';

/** What inventory has decided about an order so far. */
export interface ReservationRecord {
  status: ReservationStatus;
  lines: RequestedLine[];
  reason: Record<string, unknown> | null;
}

/** One fact about an order that moves stock: placed (reserve it) or cancelled (give it back). */
export type StockFact = { kind: 'PLACED'; orderId: string; lines: RequestedLine[] } | { kind: 'CANCELLED'; orderId: string };

/** What a fact changed that the outside world hears about: the event to raise. */
export type StockAnnouncement =
  | { orderId: string; factIndex: number; kind: 'RESERVED'; lines: RequestedLine[] }
  | { orderId: string; factIndex: number; kind: 'REJECTED'; reason: RejectionReason }
  | { orderId: string; factIndex: number; kind: 'RELEASED'; lines: RequestedLine[] };

export interface StockRun {
  /** Reservation records that are new or changed, by order. */
  reservations: Map<string, ReservationRecord>;
  /** The final level of every SKU that changed, sorted by SKU. */
  changed: StockLevel[];
  announcements: StockAnnouncement[];
}

/** The SKUs a run may touch: the placed orders' lines and what the cancelled ones hold. */
export function skusOfRun(facts: readonly StockFact[], known: ReadonlyMap<string, ReservationRecord>): string[] {
  const skus = new Set<string>();
  for (const fact of facts) {
    if (fact.kind === 'PLACED') fact.lines.forEach((line) => skus.add(line.sku));
    else known.get(fact.orderId)?.lines.forEach((line) => skus.add(line.sku));
  }
  return [...skus].sort();
}

/**
 * Applies a run of facts in arrival order against one picture of the stock and of the orders'
 * reservations, exactly as if each had been its own transaction:
 * - placed: one decision per order, all lines or none (a repeated order-placed, or one for an order
 *   cancelled first, changes nothing);
 * - cancelled: a reservation gives its stock back (RELEASED); an order not seen yet is marked
 *   CANCELLED so a late order-placed is never reserved; a rejected or released one stays as it is.
 */
export function applyStockRun(
  facts: readonly StockFact[],
  known: ReadonlyMap<string, ReservationRecord>,
  stock: ReadonlyMap<string, StockLevel>,
): StockRun {
  const levels = new Map(stock);
  const records = new Map(known);
  const reservations = new Map<string, ReservationRecord>();
  const changedSkus = new Set<string>();
  const announcements: StockAnnouncement[] = [];
  const store = (orderId: string, record: ReservationRecord) => {
    records.set(orderId, record);
    reservations.set(orderId, record);
  };
  const setLevels = (updated: StockLevel[]) => {
    for (const level of updated) {
      levels.set(level.sku, level);
      changedSkus.add(level.sku);
    }
  };
  facts.forEach((fact, factIndex) => {
    const current = records.get(fact.orderId);
    if (fact.kind === 'PLACED') {
      if (current) return;
      const decision = decideReservation(fact.lines, levels);
      if (decision.status === 'RESERVED') {
        setLevels(decision.stock);
        store(fact.orderId, { status: 'RESERVED', lines: fact.lines, reason: null });
        announcements.push({ orderId: fact.orderId, factIndex, kind: 'RESERVED', lines: fact.lines });
      } else {
        store(fact.orderId, { status: 'REJECTED', lines: fact.lines, reason: { ...decision.reason } });
        announcements.push({ orderId: fact.orderId, factIndex, kind: 'REJECTED', reason: decision.reason });
      }
      return;
    }
    if (!current) {
      store(fact.orderId, { status: 'CANCELLED', lines: [], reason: { code: 'ORDERS.CANCELLED_BY_CUSTOMER' } });
      return;
    }
    if (current.status !== 'RESERVED') return;
    setLevels(releaseReservation(current.lines, levels));
    store(fact.orderId, { ...current, status: 'RELEASED' });
    announcements.push({ orderId: fact.orderId, factIndex, kind: 'RELEASED', lines: current.lines });
  });
  return { reservations, changed: [...changedSkus].sort().map((sku) => levels.get(sku)!), announcements };
}
