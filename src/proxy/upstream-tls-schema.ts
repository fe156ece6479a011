import { z } from 'zod';

/**
 * A service's `tls` and `hostHeader`: how gw speaks to its https:// targets. Files are relative
 * to the config file and read once per config load (upstream-tls-files.ts).
 */
export const upstreamTlsSchema = z
  .strictObject({
    ca: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A CA certificate (PEM; a bundle may hold several) trusted for this service's targets besides the system CAs and gw's local CA, e.g. './certs/billing-ca.pem'",
      ),
    cert: z
      .string()
      .min(1)
      .optional()
      .describe('Client certificate (PEM) gw presents to targets that ask for one (mTLS); needs `key`'),
    key: z.string().min(1).optional().describe('The private key of `cert` (PEM, unencrypted)'),
    servername: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The name gw sends as SNI and expects in the target's certificate, when it is not the target URL's host",
      ),
    insecure: z
      .boolean()
      .optional()
      .describe("Accept any certificate from this service's targets (no verification): a last resort"),
  })
  .describe('TLS to https:// targets: extra CA, client certificate (mTLS), SNI name, or no verification');

export const hostHeaderSchema = z
  .enum(['client', 'target'])
  .default('client')
  .describe(
    "Host sent upstream: 'client' (default) passes the client's Host on, 'target' sends the target's host[:port] (and that name as SNI)",
  );

export type UpstreamTlsConfig = z.output<typeof upstreamTlsSchema>;
