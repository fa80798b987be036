import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real registry (CNCF distribution, Debian's docker-registry) on 127.0.0.1, owned by one test file. */
export interface TestRegistry {
  address: string;
  /** Tags of a repository, through the registry's HTTP API. */
  tags(repository: string): Promise<string[]>;
  stop(): Promise<void>;
}

async function ping(address: string): Promise<boolean> {
  try {
    return (await fetch(`http://${address}/v2/`)).ok;
  } catch {
    return false;
  }
}

/** Starts an empty registry on the given port (docker treats 127.0.0.1 as insecure, so no daemon change). */
export async function startRegistry(port: number): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'registry-'));
  const address = `127.0.0.1:${port}`;
  const config = join(dir, 'registry.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: ${dir}/data }, delete: { enabled: true } ` +
      `}\nhttp: { addr: ${address} }\n`,
  );
  const child: ResultPromise = execa('docker-registry', ['serve', config], { reject: false, stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await ping(address)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await ping(address))) {
    child.kill();
    throw new Error(`docker-registry did not start on ${address} (install it: apt-get install docker-registry)`);
  }
  return {
    address,
    async tags(repository) {
      const response = await fetch(`http://${address}/v2/${repository}/tags/list`);
      if (response.status === 404) return [];
      const body = (await response.json()) as { tags: string[] | null };
      return (body.tags ?? []).sort();
    },
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
  };
}
