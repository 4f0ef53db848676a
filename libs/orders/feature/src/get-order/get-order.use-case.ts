import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Order } from '@relay/orders/domain';
import { findOrder } from '@relay/orders/data-access';

@Injectable()
export class GetOrderUseCase {
  constructor(private readonly dataSource: DataSource) {}

  execute(id: string): Promise<Order | null> {
    return findOrder(this.dataSource.manager, id);
  }
}
