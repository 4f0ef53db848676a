import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { setOnHand, StockChange, StockLevel } from '@relay/inventory/domain';
import { findStock, lockStock, saveStock } from '@relay/inventory/data-access';

@Injectable()
export class StockUseCases {
  constructor(private readonly dataSource: DataSource) {}

  get(sku: string): Promise<StockLevel | null> {
    return findStock(this.dataSource.manager, sku);
  }

  /** Sets the counted on-hand quantity, under the same row lock reservations take. */
  set(sku: string, onHand: number): Promise<StockChange> {
    return this.dataSource.transaction(async (manager) => {
      const current = (await lockStock(manager, [sku])).get(sku);
      const change = setOnHand(current, sku, onHand);
      if (change.ok) await saveStock(manager, [change.level]);
      return change;
    });
  }
}
