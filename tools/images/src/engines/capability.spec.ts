import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../core/dockerfile';
import { checkBuilderSupports, type BuilderInfo } from './capability';

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
      { feature: 'RUN --mount', line: 2, tier: 'buildkit' },
      { feature: 'COPY --link', line: 3, tier: 'modern' },
      { feature: 'RUN with a heredoc', line: 4, tier: 'modern' },
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
    ['docker with buildx', { engine: 'docker', buildkit: true, buildx: true, version: '28.2.2', client: '/usr/bin/docker' }],
    ['a recent podman', { engine: 'podman', buildkit: false, version: '5.0.1', client: 'podman' }],
  ])('accepts everything on %s', (_name, builder) => {
    expect(() => checkBuilderSupports('images/x/Dockerfile', features, builder)).not.toThrow();
  });

  it('refuses heredocs and COPY --link on docker 20.10’s built-in BuildKit, but accepts RUN --mount', () => {
    const builtIn: BuilderInfo = { engine: 'docker', buildkit: true, version: '20.10.24', client: '/usr/bin/docker' };
    expect(() => checkBuilderSupports('images/x/Dockerfile', features, builtIn)).toThrow(
      /^images\/x\/Dockerfile:3 uses COPY --link; images\/x\/Dockerfile:4 uses RUN with a heredoc, which the engine's builder cannot read\.\nThe docker client "\/usr\/bin\/docker" \(20\.10\.24\) uses the BuildKit built into docker 20\.10/,
    );
    expect(() => checkBuilderSupports('images/x/Dockerfile', features.slice(0, 1), builtIn)).not.toThrow();
  });

  it('leaves the choice to a `# syntax=` frontend on BuildKit', () => {
    const builtIn: BuilderInfo = { engine: 'docker', buildkit: true, version: '20.10.24', client: '/usr/bin/docker' };
    expect(() => checkBuilderSupports('images/x/Dockerfile', features, builtIn, true)).not.toThrow();
  });

  it('refuses BuildKit syntax on the legacy builder, naming file:line and the fix', () => {
    expect(() => checkBuilderSupports('images/x/Dockerfile', features, legacy)).toThrow(
      /images\/x\/Dockerfile:2 uses RUN --mount; images\/x\/Dockerfile:3 uses COPY --link; images\/x\/Dockerfile:4 uses RUN with a heredoc, which the engine's builder cannot read\.\nThe docker client "\/usr\/local\/bin\/docker" \(28\.2\.2\) only offers the legacy builder here\. Install buildx/,
    );
  });

  it('refuses heredocs on podman before 4.8', () => {
    expect(() =>
      checkBuilderSupports('images/x/Dockerfile', features, { engine: 'podman', buildkit: false, version: '4.3.1', client: 'podman' }),
    ).toThrow(
      /images\/x\/Dockerfile:3 uses COPY --link; images\/x\/Dockerfile:4 uses RUN with a heredoc.*\npodman 4\.3\.1 is too old for it: this syntax needs podman 4\.8 or newer/,
    );
  });

  it('accepts a Dockerfile without such syntax on any builder', () => {
    expect(() => checkBuilderSupports('images/x/Dockerfile', [], legacy)).not.toThrow();
  });
});
