import { z } from 'zod';

/**
 * `tls` at the top of the config: `true` serves HTTPS with certificates from gw's own local CA
 * (created once in GW_HOME, default ~/.gw), `{ hosts }` adds names beyond localhost and
 * `*.localhost` that it issues certificates for, and `{ cert, key }` serves your own files (from
 * mkcert, say) instead. Files are relative to the config file. `redirectHttpFrom` sends plain
 * HTTP on another port to the HTTPS one.
 */
export const tlsSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      cert: z
        .string()
        .min(1)
        .optional()
        .describe("Your own certificate (PEM, chain included), e.g. './certs/dev.pem'; needs `key`"),
      key: z
        .string()
        .min(1)
        .optional()
        .describe("The private key of `cert` (PEM), e.g. './certs/dev-key.pem'"),
      hosts: z
        .array(z.string().min(1))
        .optional()
        .describe(
          "Host names beyond localhost and *.localhost that gw's local CA issues certificates for: 'shop.test' or '*.shop.test'",
        ),
      redirectHttpFrom: z
        .number()
        .int()
        .min(1)
        .max(65535)
        .optional()
        .describe(
          'A plain HTTP port (on the same host) that answers every request with 308 to the same URL on https://, e.g. 8080',
        ),
    }),
  ])
  .describe(
    "HTTPS on gw's port: true (certificates from gw's local CA, see `gw cert`), { hosts: [...] } for more names, or { cert, key } for your own files; redirectHttpFrom: 8080 sends plain HTTP there to https://",
  );

export type TlsConfig = z.output<typeof tlsSchema>;
