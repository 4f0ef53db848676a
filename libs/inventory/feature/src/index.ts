export * from './inventory.module';
export * from './reserve-stock/reserve-stock.use-case';
export * from './stock/stock.use-cases';
