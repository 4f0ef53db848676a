import { EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '@relay/messaging';
import { StockLevel } from '@relay/inventory/domain';
import { StockItemEntity } from './stock-item.entity';

/**
 * Reads and locks the stock rows of the given SKUs until the transaction ends, in SKU order, in
 * one statement: every transaction takes its locks in the same order, so two that touch the same
 * SKUs queue up instead of deadlocking.
 */
export async function lockStock(manager: EntityManager, skus: readonly string[]): Promise<Map<string, StockLevel>> {
  const rows = await queryPrepared<{ sku: string; on_hand: number; reserved: number }>(manager, LOCK_STOCK, [[...new Set(skus)].sort()]);
  return new Map(rows.map((row) => [row.sku, { sku: row.sku, onHand: row.on_hand, reserved: row.reserved }]));
}

/** Stores new reserved quantities of existing, locked SKUs: one statement for all of them. */
export async function saveReserved(manager: EntityManager, levels: readonly StockLevel[]): Promise<void> {
  if (levels.length === 0) return;
  await queryPrepared(manager, SAVE_RESERVED, [levels.map((level) => level.sku), levels.map((level) => level.reserved)]);
}

// Every reservation runs these: prepared once per connection (@relay/messaging's preparedStatement).
const LOCK_STOCK = preparedStatement(`SELECT sku, on_hand, reserved FROM stock_items WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`);
const SAVE_RESERVED = preparedStatement(
  `UPDATE stock_items AS item SET reserved = level.reserved, updated_at = now()
   FROM unnest($1::text[], $2::int[]) AS level(sku, reserved)
   WHERE item.sku = level.sku`,
);

export async function saveStock(manager: EntityManager, levels: StockLevel[]): Promise<void> {
  await manager.upsert(StockItemEntity, levels.map((level) => ({ sku: level.sku, onHand: level.onHand, reserved: level.reserved })), ['sku']);
}

export async function findStock(manager: EntityManager, sku: string): Promise<StockLevel | null> {
  const row = await manager.findOne(StockItemEntity, { where: { sku } });
  return row ? { sku: row.sku, onHand: row.onHand, reserved: row.reserved } : null;
}
