/** Keys never leave lmlb whole: they show as `sk-...wxyz`. */
export function maskKey(key: string): string {
  if (key.length >= 12) return `${key.slice(0, 3)}...${key.slice(-4)}`
  // Short keys (tests, local servers) keep too little to show any head.
  return key.length >= 6 ? `...${key.slice(-2)}` : '...'
}
