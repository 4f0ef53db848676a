import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'stock_items' })
export class StockItemEntity {
  @PrimaryColumn({ type: 'text' })
  sku!: string;

  @Column({ name: 'on_hand', type: 'int' })
  onHand!: number;

  @Column({ type: 'int' })
  reserved!: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
