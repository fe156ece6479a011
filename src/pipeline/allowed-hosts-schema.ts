import { z } from 'zod';

export const allowedHostsSchema = z
  .union([z.literal(true), z.array(z.string().min(1))])
  .describe(
    "Host names gw answers besides localhost, *.localhost, IP addresses and the bind address: 'api.test', '.example.test' (it and its subdomains) or '*.example.test' (subdomains only); true answers any Host (no DNS-rebinding guard)",
  );
