/** Format an amount of money for display. */
export const formatMoney = (amount: number, currency: string = "EUR"): string =>
  new Intl.NumberFormat("en", { style: "currency", currency }).format(amount);
