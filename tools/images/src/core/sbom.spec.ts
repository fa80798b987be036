import * as cdx from '@cyclonedx/cyclonedx-library';
import { describe, expect, it } from 'vitest';
import { cycloneDxSbom, parseDpkgStatus, parseOsRelease, parseRequirementsLock } from './sbom';

const STATUS = [
  'Package: python3.11-minimal',
  'Status: install ok installed',
  'Architecture: amd64',
  'Source: python3.11',
  'Version: 3.11.2-6+deb12u6',
  'Description: Minimal subset of the Python language',
  ' continued description: Version: 9.9',
  '',
  'Package: removed-one',
  'Status: deinstall ok config-files',
  'Architecture: amd64',
  'Version: 1.0',
  '',
  'Package: adduser',
  'Status: install ok installed',
  'Architecture: all',
  'Version: 3.134',
  '',
].join('\n');
const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';

describe('parseDpkgStatus', () => {
  it('takes installed packages only, with version, architecture and source, sorted', () => {
    expect(parseDpkgStatus(STATUS)).toEqual([
      { name: 'adduser', version: '3.134', architecture: 'all' },
      { name: 'python3.11-minimal', version: '3.11.2-6+deb12u6', architecture: 'amd64', source: 'python3.11' },
    ]);
  });
});

describe('parseRequirementsLock', () => {
  it('reads name==version lines, normalizing names; skips comments, editables and URLs', () => {
    const lock =
      '# pip freeze\nRequests==2.32.3\nzope.interface==6.4\nFoo_Bar[extra]==1.0 ; python_version > "3"\n-e git+x#egg=y\npkg @ file:///x\n';
    expect(parseRequirementsLock(lock)).toEqual([
      { name: 'requests', version: '2.32.3' },
      { name: 'zope-interface', version: '6.4' },
      { name: 'foo-bar', version: '1.0' },
    ]);
  });
});

describe('parseOsRelease', () => {
  it('reads the id, version and codename', () => {
    expect(parseOsRelease(OS_RELEASE)).toEqual({ id: 'debian', versionId: '12', codename: 'bookworm' });
  });
});

describe('cycloneDxSbom', () => {
  const input = {
    image: { name: 'runner', ref: 'ffreis/runner:42', id: `sha256:${'a'.repeat(64)}` },
    dpkgStatus: STATUS,
    osRelease: OS_RELEASE,
    requirementsLock: 'requests==2.32.3\n',
    tool: { name: '@ffreis/nx-images', version: '0.0.0' },
  };

  it('lists the Debian and Python packages with purls, under the image as the metadata component', () => {
    const { json, components } = cycloneDxSbom(input);
    const bom = JSON.parse(json) as {
      specVersion: string;
      metadata: { component: { name: string; version: string } };
      components: { purl: string }[];
    };
    expect(components).toBe(3);
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.component).toMatchObject({ name: 'runner', version: input.image.id });
    expect(bom.components.map((c) => c.purl)).toEqual([
      'pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12',
      'pkg:deb/debian/python3.11-minimal@3.11.2-6+deb12u6?arch=amd64&distro=debian-12',
      'pkg:pypi/requests@2.32.3',
    ]);
  });

  it('is valid CycloneDX 1.6 (the library’s strict JSON schema validator) and the same bytes for the same image', async () => {
    const { json } = cycloneDxSbom(input);
    expect(await new cdx.Validation.JsonStrictValidator(cdx.Spec.Version.v1dot6).validate(json)).toBeNull();
    expect(cycloneDxSbom(input).json).toBe(json);
  });
});
