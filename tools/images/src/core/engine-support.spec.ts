import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './dockerfile';
import { checkBuilderSupports, type BuilderInfo } from './engine-support';

const dockerfile = [
  'FROM debian',
  'RUN --mount=type=cache,target=/var/cache/apt apt-get update',
  'COPY --link --chown=1:1 a /a',
  'RUN <<EOF',
  'echo hi',
  'EOF',
  'COPY --chown=1:1 b /b',
].join('\n');

describe('buildkitFeatures', () => {
  it('finds BuildKit-only flags and heredocs with their lines', () => {
    expect(parseDockerfile(dockerfile).buildkitFeatures).toEqual([
      { feature: 'RUN --mount', line: 2 },
      { feature: 'COPY --link', line: 3 },
      { feature: 'RUN with a heredoc', line: 4 },
    ]);
  });
  it('finds none in a classic Dockerfile', () => {
    expect(parseDockerfile('FROM a\nCOPY --chown=1:1 --from=b /x /y\nRUN echo "<<not a heredoc" \n').buildkitFeatures).toEqual([]);
  });
});

describe('checkBuilderSupports', () => {
  const features = parseDockerfile(dockerfile).buildkitFeatures;
  const legacy: BuilderInfo = { engine: 'docker', buildkit: false, version: '28.2.2', client: '/usr/local/bin/docker' };

  it.each<[string, BuilderInfo]>([
    ['docker with BuildKit', { engine: 'docker', buildkit: true, version: '20.10.24', client: '/usr/bin/docker' }],
    ['a recent podman', { engine: 'podman', buildkit: false, version: '5.0.1', client: 'podman' }],
  ])('accepts everything on %s', (_name, builder) => {
    expect(() => checkBuilderSupports('images/x/Dockerfile', features, builder)).not.toThrow();
  });

  it('refuses BuildKit syntax on the legacy builder, naming file:line and the fix', () => {
    expect(() => checkBuilderSupports('images/x/Dockerfile', features, legacy)).toThrow(
      /images\/x\/Dockerfile:2 uses RUN --mount; images\/x\/Dockerfile:3 uses COPY --link; images\/x\/Dockerfile:4 uses RUN with a heredoc, which the engine's builder cannot read\.\nThe docker client "\/usr\/local\/bin\/docker" \(28\.2\.2\) only offers the legacy builder here\. Install buildx/,
    );
  });

  it('refuses heredocs on podman before 4.8', () => {
    expect(() => checkBuilderSupports('images/x/Dockerfile', features, { engine: 'podman', buildkit: false, version: '4.3.1', client: 'podman' })).toThrow(
      /images\/x\/Dockerfile:4 uses RUN with a heredoc.*\npodman 4\.3\.1 is too old for it: heredocs need podman 4\.8 or newer/,
    );
  });

  it('accepts a Dockerfile without such syntax on any builder', () => {
    expect(() => checkBuilderSupports('images/x/Dockerfile', [], legacy)).not.toThrow();
  });
});
