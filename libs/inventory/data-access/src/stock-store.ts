import { EntityManager, In } from 'typeorm';
import { StockLevel } from '@relay/inventory/domain';
import { StockItemEntity } from './stock-item.entity';

/**
 * Reads and locks the stock rows of the given SKUs until the transaction ends. Locking in SKU order
 * means two orders touching the same SKUs queue up instead of deadlocking.
 */
export async function lockStock(manager: EntityManager, skus: string[]): Promise<Map<string, StockLevel>> {
  const rows = await manager.find(StockItemEntity, {
    where: { sku: In([...new Set(skus)].sort()) },
    order: { sku: 'ASC' },
    lock: { mode: 'pessimistic_write' },
  });
  return new Map(rows.map((row) => [row.sku, { sku: row.sku, onHand: row.onHand, reserved: row.reserved }]));
}

export async function saveStock(manager: EntityManager, levels: StockLevel[]): Promise<void> {
  await manager.upsert(StockItemEntity, levels.map((level) => ({ sku: level.sku, onHand: level.onHand, reserved: level.reserved })), ['sku']);
}

export async function findStock(manager: EntityManager, sku: string): Promise<StockLevel | null> {
  const row = await manager.findOne(StockItemEntity, { where: { sku } });
  return row ? { sku: row.sku, onHand: row.onHand, reserved: row.reserved } : null;
}
