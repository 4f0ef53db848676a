export * from './stock-item.entity';
export * from './reservation.entity';
export * from './stock-store';
export * from './reservation-store';
export * from './inventory-persistence';
