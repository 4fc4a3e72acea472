import { formatMoney } from "./money";

/** One line of a shopping cart. */
export interface CartLine {
  sku: string;
  quantity: number;
  unitPrice: number;
}

/** Sum of a cart, tax excluded. */
export function subtotal(lines: CartLine[]): number {
  return lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
}

export class Cart {
  private lines: CartLine[] = [];

  /** Add a line, merging with an existing one for the same SKU. */
  add(sku: string, quantity = 1, unitPrice = 0): void {
    if (quantity <= 0) {
      throw new RangeError("quantity must be positive");
    }
    const line = this.lines.find((l) => l.sku === sku);
    if (line) line.quantity += quantity;
    else this.lines.push({ sku, quantity, unitPrice });
  }

  /** A printable total. */
  total(currency: string): string {
    return formatMoney(subtotal(this.lines), currency);
  }
}
