/** `a`, `a and b`, `a, b and c`: names listed in a sentence of a generated comment. */
export function listed(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** A service's prefix in environment variable and Secret key names: `orders` → `ORDERS`, `stock-levels` → `STOCK_LEVELS`. */
export function envPrefix(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}
