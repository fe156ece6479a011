/**
 * The grpc-timeout header (PROTOCOL-HTTP2.md): at most 8 digits and a unit, H M S m u n.
 * https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#requests
 */
const unitMs: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };
const timeoutSyntax = /^(\d{1,8})([HMSmun])$/;

/** The timeout in ms; undefined when the value does not follow the grammar. */
export function parseGrpcTimeout(value: string): number | undefined {
  const match = timeoutSyntax.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * unitMs[match[2]!]!;
}

/** A timeout in ms as a grpc-timeout value: whole milliseconds (rounded up) while they fit in 8 digits. */
export function formatGrpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  if (whole < 100_000_000) return `${whole}m`;
  const seconds = Math.ceil(whole / 1000);
  if (seconds < 100_000_000) return `${seconds}S`;
  return `${Math.min(99_999_999, Math.ceil(seconds / 3600))}H`;
}
