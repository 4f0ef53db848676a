import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Order, StatusChange } from '@relay/orders/domain';
import { findOrder, statusHistory } from '@relay/orders/data-access';

@Injectable()
export class GetOrderUseCase {
  constructor(private readonly dataSource: DataSource) {}

  async execute(id: string): Promise<{ order: Order; history: StatusChange[] } | null> {
    const order = await findOrder(this.dataSource.manager, id);
    if (!order) return null;
    return { order, history: await statusHistory(this.dataSource.manager, id) };
  }
}
