export * from './order.entity';
export * from './order-line.entity';
export * from './order-store';
export * from './orders-persistence';
export * from './order-status-store';
export * from './order-intake-store';
