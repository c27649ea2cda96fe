/** Number formatting shared by the markdown and HTML reports. */

export function rate(recordsPerSec: number): string {
  if (!Number.isFinite(recordsPerSec)) return 'n/a';
  if (recordsPerSec >= 1e6) return `${(recordsPerSec / 1e6).toFixed(2)} M/s`;
  if (recordsPerSec >= 1e3) return `${(recordsPerSec / 1e3).toFixed(1)} k/s`;
  return `${recordsPerSec.toFixed(0)}/s`;
}

export function bytesRate(bytesPerSec: number): string {
  if (!Number.isFinite(bytesPerSec)) return 'n/a';
  if (bytesPerSec >= 2 ** 30) return `${(bytesPerSec / 2 ** 30).toFixed(2)} GiB/s`;
  return `${(bytesPerSec / 2 ** 20).toFixed(0)} MiB/s`;
}

export function micros(us: number): string {
  if (!Number.isFinite(us)) return 'n/a';
  if (us >= 10_000) return `${(us / 1000).toFixed(1)} ms`;
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${us.toFixed(0)} µs`;
}

export function ratio(a: number, b: number): string {
  const r = a / b;
  if (!Number.isFinite(r)) return 'n/a';
  if (r >= 10) return `${r.toFixed(0)}x`;
  return r >= 0.1 ? `${r.toFixed(2)}x` : `${r.toPrecision(2)}x`;
}

export const sizeLabel = (b: number) => (b >= 1024 ? `${b / 1024} KiB` : `${b} B`);

export function bytes(n: number): string {
  if (Math.abs(n) >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (Math.abs(n) >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (Math.abs(n) >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n.toFixed(0)} B`;
}
