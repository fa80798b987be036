import { describe, expect, it } from 'vitest';
import { isImageError } from '../core/errors';
import { engineAdapter } from '.';
import { engineErrorFor, runEngine } from './run-engine';

describe('engineErrorFor', () => {
  const docker = engineAdapter('docker', '/opt/docker');
  const command = docker.inspectImage('a:1');

  it('says how to install a missing client or point at one', () => {
    const error = engineErrorFor(docker, command, { code: 'ENOENT' });
    expect(error?.code).toBe('ENGINE_MISSING');
    expect(error?.message).toContain('The docker client "/opt/docker" was not found.');
    expect(error?.message).toContain('apt-get install docker.io');
    expect(error?.message).toContain('CONTAINER_CLIENT');
  });

  it.each([
    'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    'error during connect: Get "http://%2Fnowhere.sock/v1.24/images/json": dial unix /nowhere.sock: connect: no such file or directory',
  ])('recognises an unreachable daemon: %s', (stderr) => {
    const error = engineErrorFor(docker, command, { stderr });
    expect(error?.code).toBe('ENGINE_UNREACHABLE');
    expect(error?.message).toMatch(/DOCKER_HOST/);
    expect(error?.message).toMatch(/Start the daemon/);
  });

  it('says which containers.conf setting fixes podman’s rlimit failure', () => {
    const podman = engineAdapter('podman');
    const error = engineErrorFor(podman, podman.run('a:1', []), {
      stderr:
        'Error: runc: runc create failed: unable to start container process: error during container init: error setting rlimits ' +
        'for ready process: error setting rlimit type 7: operation not permitted: OCI permission denied',
    });
    expect(error?.code).toBe('ENGINE_ULIMITS');
    expect(error?.message).toContain('default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]');
    expect(error?.message).toContain('export CONTAINERS_CONF=$PWD/config/podman/containers.conf');
  });

  it('leaves other failures to the caller', () => {
    expect(engineErrorFor(docker, command, { stderr: 'Error: No such image: a:1' })).toBeUndefined();
  });
});

describe('runEngine', () => {
  it('turns a missing binary into ENGINE_MISSING', async () => {
    const adapter = engineAdapter('podman', '/nonexistent/podman');
    await expect(runEngine(adapter, adapter.clientVersion())).rejects.toSatisfy((e) => isImageError(e, 'ENGINE_MISSING'));
  });

  it('names the command, exit code and stderr of a failure', async () => {
    const adapter = engineAdapter('docker', 'sh');
    const command = { command: 'sh', args: ['-c', 'echo boom >&2; exit 3'] };
    await expect(runEngine(adapter, command)).rejects.toThrow(/`sh -c echo boom >&2; exit 3` failed \(exit 3\):\nboom/);
    await expect(runEngine(adapter, command, { allowFailure: true })).resolves.toEqual({ exitCode: 3, stdout: '', stderr: 'boom' });
  });

  it('stops a query the engine does not answer within its time, naming the command and the setting', async () => {
    const adapter = engineAdapter('docker', 'sh');
    const started = Date.now();
    const stuck = runEngine(adapter, { command: 'sh', args: ['-c', 'exec sleep 30'], timeoutMs: 300 }, { allowFailure: true });
    await expect(stuck).rejects.toSatisfy((e) => isImageError(e, 'ENGINE_UNRESPONSIVE'));
    await expect(stuck).rejects.toThrow(/did not answer `sh -c exec sleep 30` within 0.3 s .*\n.*IMAGE_ENGINE_TIMEOUT/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('bounds every query by IMAGE_ENGINE_TIMEOUT, and leaves builds, pulls, pushes and runs unbounded', () => {
    const previous = process.env.IMAGE_ENGINE_TIMEOUT;
    process.env.IMAGE_ENGINE_TIMEOUT = '7';
    try {
      const docker = engineAdapter('docker');
      for (const query of [
        docker.inspectImage('a:1'),
        docker.listLabelled('l'),
        docker.removeImages(['a:1']),
        docker.copyOut('c', '/app'),
      ]) {
        expect(query.timeoutMs).toBe(7000);
      }
      for (const long of [docker.pull('a:1'), docker.push('a:1'), docker.run('a:1', []), docker.runCheck('a:1', { args: [] })]) {
        expect(long.timeoutMs).toBeUndefined();
      }
    } finally {
      if (previous === undefined) delete process.env.IMAGE_ENGINE_TIMEOUT;
      else process.env.IMAGE_ENGINE_TIMEOUT = previous;
    }
    expect(engineAdapter('podman').inspectImage('a:1').timeoutMs).toBe(previous ? Number(previous) * 1000 : 300_000);
  });
});
