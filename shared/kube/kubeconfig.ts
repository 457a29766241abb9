// Connection settings from a kubeconfig file or from the in-cluster service account: server, TLS
// trust, and credentials (bearer token, token file, client certificate, exec plugin, basic auth).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { readYaml } from '../text/yaml.ts';

export interface Credentials {
  headers: Record<string, string>;
  cert?: string;
  key?: string;
  /** When these credentials stop being valid (exec plugins); undefined = until a 401. */
  expiresAt?: number;
}

export interface Connection {
  server: string;
  ca?: string;
  insecureSkipTLSVerify?: boolean;
  tlsServerName?: string;
  /** Default namespace of the context (or the service account's namespace in-cluster). */
  namespace: string;
  /** Returns current credentials; `refresh` forces a new exec/token-file read after a 401. */
  credentials(refresh?: boolean): Promise<Credentials>;
  description: string;
}

interface KubeconfigFile {
  'current-context'?: string;
  clusters?: Array<{ name: string; cluster: Record<string, unknown> }>;
  users?: Array<{ name: string; user: Record<string, unknown> }>;
  contexts?: Array<{ name: string; context: { cluster?: string; user?: string; namespace?: string } }>;
}

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function defaultKubeconfigPaths(): string[] {
  const env = process.env.KUBECONFIG;
  if (env) return env.split(':').filter(Boolean);
  return [join(homedir(), '.kube', 'config')];
}

/** Merges kubeconfig files the way kubectl does: the first file that defines a name wins. */
function loadFiles(paths: string[]): { merged: KubeconfigFile; baseDirs: Map<string, string> } {
  const merged: KubeconfigFile = { clusters: [], users: [], contexts: [] };
  const baseDirs = new Map<string, string>();
  let found = false;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    found = true;
    let doc: KubeconfigFile;
    try {
      doc = (readYaml(readFileSync(p, 'utf8')) ?? {}) as KubeconfigFile;
    } catch (e) {
      // Line, column and reason (readYaml quotes nothing of the file); the command line shows the first line.
      throw new KubeconfigError(
        `${p} is not a kubeconfig; fix the file or pass another with --kubeconfig: ${(e as Error).message}`,
      );
    }
    if (typeof doc !== 'object' || Array.isArray(doc))
      throw new KubeconfigError(
        `${p} is not a kubeconfig (not a YAML mapping); fix the file or pass another with --kubeconfig`,
      );
    merged['current-context'] ??= doc['current-context'];
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      const list = (merged[key] ?? []) as Array<{ name: string }>;
      for (const item of (doc[key] ?? []) as Array<{ name: string }>) {
        if (!list.some((x) => x.name === item.name)) {
          list.push(item);
          baseDirs.set(`${key}/${item.name}`, dirname(p));
        }
      }
    }
  }
  if (!found)
    throw new KubeconfigError(`no kubeconfig found at ${paths.join(', ')}; pass --kubeconfig or set KUBECONFIG`);
  return { merged, baseDirs };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function readRelative(base: string | undefined, p: string): string {
  return readFileSync(isAbsolute(p) || !base ? p : join(base, p), 'utf8');
}

function b64(v: string): string {
  return Buffer.from(v, 'base64').toString('utf8');
}

export function loadKubeconfig(opts: { path?: string; context?: string } = {}): Connection {
  const paths = opts.path ? [opts.path] : defaultKubeconfigPaths();
  const { merged, baseDirs } = loadFiles(paths);
  const ctxName = opts.context ?? merged['current-context'];
  if (!ctxName) throw new KubeconfigError('kubeconfig has no current-context; pass --context');
  const ctx = merged.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new KubeconfigError(`context "${ctxName}" not found in kubeconfig`);
  const clusterEntry = merged.clusters?.find((c) => c.name === ctx.cluster);
  if (!clusterEntry)
    throw new KubeconfigError(`cluster "${ctx.cluster}" of context "${ctxName}" not found in kubeconfig`);
  const cluster = clusterEntry.cluster;
  const server = str(cluster.server);
  if (!server) throw new KubeconfigError(`cluster "${ctx.cluster}" has no server`);
  const clusterBase = baseDirs.get(`clusters/${clusterEntry.name}`);
  let ca: string | undefined;
  if (str(cluster['certificate-authority-data'])) ca = b64(cluster['certificate-authority-data'] as string);
  else if (str(cluster['certificate-authority']))
    ca = readRelative(clusterBase, cluster['certificate-authority'] as string);

  const userEntry = ctx.user ? merged.users?.find((u) => u.name === ctx.user) : undefined;
  if (ctx.user && !userEntry)
    throw new KubeconfigError(`user "${ctx.user}" of context "${ctxName}" not found in kubeconfig`);
  const user = userEntry?.user ?? {};
  const userBase = userEntry ? baseDirs.get(`users/${userEntry.name}`) : undefined;

  const conn: Connection = {
    server: server.replace(/\/+$/, ''),
    namespace: ctx.namespace ?? 'default',
    credentials: credentialsFor(user, userBase),
    description: `context "${ctxName}" (${server})`,
  };
  if (ca) conn.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) conn.insecureSkipTLSVerify = true;
  if (str(cluster['tls-server-name'])) conn.tlsServerName = cluster['tls-server-name'] as string;
  return conn;
}

function credentialsFor(user: Record<string, unknown>, base: string | undefined): Connection['credentials'] {
  let cert: string | undefined;
  let key: string | undefined;
  if (str(user['client-certificate-data'])) cert = b64(user['client-certificate-data'] as string);
  else if (str(user['client-certificate'])) cert = readRelative(base, user['client-certificate'] as string);
  if (str(user['client-key-data'])) key = b64(user['client-key-data'] as string);
  else if (str(user['client-key'])) key = readRelative(base, user['client-key'] as string);
  const withCert = (c: Credentials): Credentials => {
    if (cert && !c.cert) c.cert = cert;
    if (key && !c.key) c.key = key;
    return c;
  };

  const exec = user.exec as ExecConfig | undefined;
  if (exec) {
    let cached: Credentials | undefined;
    return async (refresh) => {
      if (!refresh && cached && (cached.expiresAt === undefined || cached.expiresAt - 10_000 > Date.now()))
        return cached;
      cached = withCert(await runExecPlugin(exec));
      return cached;
    };
  }
  const token = str(user.token);
  const tokenFile = str(user.tokenFile);
  if (token || tokenFile) {
    return async () =>
      withCert({ headers: { authorization: `Bearer ${token ?? readRelative(base, tokenFile!).trim()}` } });
  }
  const username = str(user.username);
  if (username) {
    const basic = Buffer.from(`${username}:${str(user.password) ?? ''}`).toString('base64');
    return async () => withCert({ headers: { authorization: `Basic ${basic}` } });
  }
  return async () => withCert({ headers: {} });
}

interface ExecConfig {
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }>;
  apiVersion?: string;
  interactiveMode?: string;
}

/** client.authentication.k8s.io ExecCredential plugins (aws eks get-token, gke-gcloud-auth-plugin, oc login helpers). */
function runExecPlugin(exec: ExecConfig): Promise<Credentials> {
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1';
  const env = { ...process.env };
  for (const e of exec.env ?? []) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify({
    apiVersion,
    kind: 'ExecCredential',
    spec: { interactive: false },
  });
  // Loaded here, not at import: few kubeconfigs name a plugin, and every function's cold start would pay for it.
  const { execFile } = process.getBuiltinModule('node:child_process');
  return new Promise((resolve, reject) => {
    execFile(exec.command, exec.args ?? [], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new KubeconfigError(`exec credential plugin "${exec.command}" failed: ${err.message} ${stderr}`.trim()));
        return;
      }
      try {
        const cred = JSON.parse(stdout) as {
          status?: {
            token?: string;
            clientCertificateData?: string;
            clientKeyData?: string;
            expirationTimestamp?: string;
          };
        };
        const s = cred.status ?? {};
        const out: Credentials = { headers: s.token ? { authorization: `Bearer ${s.token}` } : {} };
        if (s.clientCertificateData) out.cert = s.clientCertificateData;
        if (s.clientKeyData) out.key = s.clientKeyData;
        if (s.expirationTimestamp) out.expiresAt = Date.parse(s.expirationTimestamp);
        resolve(out);
      } catch (e) {
        reject(
          new KubeconfigError(`exec credential plugin "${exec.command}" printed invalid JSON: ${(e as Error).message}`),
        );
      }
    });
  });
}

/** The pod's service account: token re-read on every refresh because kubelet rotates it. */
export function inClusterConnection(saDir = SA_DIR): Connection {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new KubeconfigError('not running in a cluster: KUBERNETES_SERVICE_HOST is not set');
  const tokenPath = join(saDir, 'token');
  let token = readFileSync(tokenPath, 'utf8').trim();
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(saDir, 'ca.crt'), 'utf8'),
    namespace: existsSync(join(saDir, 'namespace')) ? readFileSync(join(saDir, 'namespace'), 'utf8').trim() : 'default',
    credentials: async (refresh) => {
      if (refresh) token = readFileSync(tokenPath, 'utf8').trim();
      return { headers: { authorization: `Bearer ${token}` } };
    },
    description: `in-cluster service account (${host}:${port})`,
  };
}

/** In-cluster when the service account is mounted and no kubeconfig was asked for; else the kubeconfig. */
export function loadConnection(opts: { kubeconfig?: string; context?: string } = {}): Connection {
  if (
    !opts.kubeconfig &&
    !process.env.KUBECONFIG &&
    process.env.KUBERNETES_SERVICE_HOST &&
    existsSync(join(SA_DIR, 'token'))
  ) {
    return inClusterConnection();
  }
  return loadKubeconfig({
    ...(opts.kubeconfig ? { path: opts.kubeconfig } : {}),
    ...(opts.context ? { context: opts.context } : {}),
  });
}
