import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Order, OrderStatus } from '@relay/orders/domain';
import { listOrders } from '@relay/orders/data-access';
import { encodeCursor, OrderCursor } from './order-cursor';

export interface OrderPage {
  orders: Order[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

@Injectable()
export class ListOrdersUseCase {
  constructor(private readonly dataSource: DataSource) {}

  async execute(query: { status?: OrderStatus; customerId?: string; after?: OrderCursor; limit: number }): Promise<OrderPage> {
    // One extra row tells whether there is a next page without a count query.
    const orders = await listOrders(this.dataSource.manager, { ...query, limit: query.limit + 1 });
    const page = orders.slice(0, query.limit);
    const last = page[page.length - 1];
    return { orders: page, nextCursor: orders.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
  }
}
