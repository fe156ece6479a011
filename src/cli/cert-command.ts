import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { GatewayError } from '../errors.js';
import { summarize, summarizeLeaves } from '../tls/certificate-summary.js';
import { tlsPaths } from '../tls/tls-home.js';
import { trustPlan, type TrustContext, type TrustStep } from '../tls/trust-stores.js';

const write = (text: string): void => void process.stdout.write(text + '\n');

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** The X.509 library loads in about a second: only `gw cert` pays for it, not every command. */
const loadIssuer = () => Promise.all([import('../tls/local-ca.js'), import('../tls/leaf-store.js')]);

async function openCa() {
  const [{ loadOrCreateCa }] = await loadIssuer();
  const paths = tlsPaths();
  const ca = await loadOrCreateCa(paths, new Date());
  // Stable for this CA and different for the next: the stores keep one entry per CA.
  const nickname = `gw local CA ${ca.certificate.fingerprint256.replace(/:/g, '').slice(0, 12).toLowerCase()}`;
  return { paths, ca, nickname };
}

function run(argv: string[]): { ok: boolean; output: string } {
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['inherit', 'pipe', 'pipe'] });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

function shown(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

/** Runs one step; undefined when it went well, else why not. */
function runStep(step: TrustStep, install: boolean, nickname: string): string | undefined {
  if (!step.command) return undefined;
  if (step.store === 'nss') {
    const db = step.command[3]!.replace(/^sql:/, '');
    if (step.createDb && !existsSync(path.join(db, 'cert9.db'))) {
      mkdirSync(db, { recursive: true, mode: 0o700 });
      const created = run(['certutil', '-N', '-d', `sql:${db}`, '--empty-password']);
      if (!created.ok) return created.output;
    }
    if (!install && !run(['certutil', '-L', '-d', `sql:${db}`, '-n', nickname]).ok) return undefined;
  }
  const result = run(step.command);
  return result.ok ? undefined : result.output || 'it failed';
}

async function trust(install: boolean, flags: { dryRun?: boolean }): Promise<void> {
  const { paths, nickname } = await openCa();
  const ctx: TrustContext = {
    paths,
    nickname,
    env: process.env,
    platform: process.platform,
    isRoot: process.getuid?.() === 0,
    has,
  };
  const steps = trustPlan(ctx, install);
  const failures: string[] = [];
  for (const step of steps) {
    const command = step.command ? shown(step.command) : undefined;
    if (flags.dryRun || step.store === 'manual') {
      write(`• ${step.description}${command ? `\n    ${command}` : ''}`);
      continue;
    }
    const failure = runStep(step, install, nickname);
    write(`${failure ? '✖' : '✔'} ${step.description}${failure ? `\n    ${command}\n    ${failure}` : ''}`);
    if (failure) failures.push(`${step.description}: ${command}`);
  }
  if (install && !flags.dryRun)
    write(`Node clients do not read these stores: NODE_EXTRA_CA_CERTS=${paths.caCert}`);
  if (failures.length > 0)
    throw new GatewayError('GW_CERT_TRUST_FAILED', `${failures.length} trust store step(s) failed`, {
      hint: `Run the command shown above yourself (the system store needs root), or choose stores with GW_TRUST_STORES=nss.`,
    });
}

export function registerCertCommand(program: Command): void {
  const cert = program.command('cert').description("gw's local CA and the HTTPS certificates it issues");

  cert
    .command('info')
    .description('the CA and the issued certificates: subject, names, expiry, SHA-256 fingerprint, files')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const { paths, ca } = await openCa();
      const report = {
        home: paths.home,
        ca: { ...summarize(ca.certificate, paths.caCert), key: paths.caKey, created: ca.created },
        leaves: await summarizeLeaves(paths, ca.certificate),
      };
      if (flags.json) return write(JSON.stringify(report, null, 2));
      const lines = [
        `CA${ca.created ? ' (created now)' : ''}: ${report.ca.subject}`,
        `  expires:  ${report.ca.notAfter}`,
        `  sha256:   ${report.ca.sha256}`,
        `  cert:     ${paths.caCert}`,
        `  key:      ${paths.caKey}`,
        ...report.leaves.flatMap((leaf) => [
          `leaf: ${leaf.names.join(', ')}${leaf.issuedByCa ? '' : ' (from an earlier CA: issued again on next use)'}`,
          `  expires:  ${leaf.notAfter}`,
          `  sha256:   ${leaf.sha256}`,
          `  file:     ${leaf.file}`,
        ]),
      ];
      if (report.leaves.length === 0)
        lines.push('no leaves yet: gw issues them when a client first connects');
      write(lines.join('\n'));
    });

  cert
    .command('trust')
    .description(
      "make this machine's browsers and tools trust gw's CA (system store, Chromium and Firefox NSS)",
    )
    .option('--dry-run', 'print the commands instead of running them')
    .action((flags: { dryRun?: boolean }) => trust(true, flags));

  cert
    .command('untrust')
    .description("remove gw's CA from the stores `gw cert trust` added it to")
    .option('--dry-run', 'print the commands instead of running them')
    .action((flags: { dryRun?: boolean }) => trust(false, flags));

  cert
    .command('renew')
    .description('issue every certificate again now (gw also does it when under 30 days remain)')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const { paths, ca } = await openCa();
      const [, { DEFAULT_LEAF_NAMES, loadOrIssueLeaf }] = await loadIssuer();
      const leaves = await summarizeLeaves(paths, ca.certificate);
      // The default leaf first, then every name a client asked for so far.
      const names: Array<readonly string[]> = [
        DEFAULT_LEAF_NAMES,
        ...leaves.filter((leaf) => leaf.names[0] !== 'localhost').map((leaf) => leaf.names),
      ];
      const renewed = [];
      for (const leafNames of names) {
        const leaf = await loadOrIssueLeaf({ paths, ca, names: leafNames, now: new Date(), force: true });
        renewed.push(summarize(leaf.certificate, leaf.file));
      }
      if (flags.json) return write(JSON.stringify(renewed, null, 2));
      write(renewed.map((leaf) => `✔ ${leaf.names.join(', ')} until ${leaf.notAfter}`).join('\n'));
    });
}
