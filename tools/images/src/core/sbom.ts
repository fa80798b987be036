import * as cdx from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';

/** Files an SBOM is read from, inside the image. */
export const SBOM_SOURCES = {
  dpkgStatus: '/var/lib/dpkg/status',
  osRelease: '/usr/lib/os-release',
  /** The app's lock (`pip freeze` of what builder installed), as the shipped chain writes it. */
  requirementsLock: '/app/requirements.lock',
} as const;

export interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  source?: string;
}

/** The installed packages of a dpkg status file (stanzas whose Status ends in "installed"). */
export function parseDpkgStatus(text: string): DebPackage[] {
  const packages: DebPackage[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const match = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
      if (match) fields.set(match[1].toLowerCase(), match[2].trim());
    }
    const name = fields.get('package');
    const version = fields.get('version');
    if (!name || !version || !/\binstalled$/.test(fields.get('status') ?? '')) continue;
    const source = fields.get('source')?.split(' ')[0];
    packages.push({ name, version, architecture: fields.get('architecture') ?? 'all', ...(source ? { source } : {}) });
  }
  return packages.sort((a, b) => a.name.localeCompare(b.name));
}

/** `name==version` lines of a pip lock (comments, editable and URL requirements left out). */
export function parseRequirementsLock(text: string): { name: string; version: string }[] {
  return text
    .split('\n')
    .map((line) => /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)/.exec(line.trim()))
    .flatMap((m) => (m ? [{ name: m[1].toLowerCase().replace(/[._]+/g, '-'), version: m[2] }] : []));
}

/** `ID` and `VERSION_CODENAME` of an os-release file: the purl namespace and distro qualifier of its packages. */
export function parseOsRelease(text: string): { id: string; codename?: string; versionId?: string } {
  const value = (key: string) => new RegExp(`^${key}=("?)([^"\\n]*)\\1$`, 'm').exec(text)?.[2];
  return { id: value('ID') ?? 'debian', codename: value('VERSION_CODENAME'), versionId: value('VERSION_ID') };
}

export interface SbomInput {
  image: { name: string; ref: string; id: string };
  dpkgStatus?: string;
  osRelease?: string;
  requirementsLock?: string;
  tool: { name: string; version: string };
}

/**
 * A CycloneDX (1.6) JSON SBOM of one image: its Debian packages (dpkg status) and its
 * Python packages (the app's requirements lock). Deterministic: lists are sorted and no
 * timestamp or serial number is written, so the same image gives the same bytes.
 */
export function cycloneDxSbom(input: SbomInput): { json: string; components: number } {
  const os = parseOsRelease(input.osRelease ?? '');
  const distro = os.codename ? `${os.id}-${os.versionId ?? os.codename}` : undefined;
  const bom = new cdx.Models.Bom();
  const image = new cdx.Models.Component(cdx.Enums.ComponentType.Container, input.image.name, {
    bomRef: input.image.ref,
    version: input.image.id,
  });
  image.properties.add(new cdx.Models.Property('org.ffreis:image-ref', input.image.ref));
  bom.metadata.component = image;
  const tool = new cdx.Models.Component(cdx.Enums.ComponentType.Application, input.tool.name, { version: input.tool.version });
  bom.metadata.tools.components.add(tool);
  for (const deb of parseDpkgStatus(input.dpkgStatus ?? '')) {
    const qualifiers: Record<string, string> = { arch: deb.architecture, ...(distro ? { distro } : {}) };
    const purl = new PackageURL('deb', os.id, deb.name, deb.version, qualifiers, undefined).toString();
    bom.components.add(new cdx.Models.Component(cdx.Enums.ComponentType.Library, deb.name, { version: deb.version, purl, bomRef: purl }));
  }
  for (const pkg of parseRequirementsLock(input.requirementsLock ?? '')) {
    const purl = new PackageURL('pypi', undefined, pkg.name, pkg.version, undefined, undefined).toString();
    bom.components.add(new cdx.Models.Component(cdx.Enums.ComponentType.Library, pkg.name, { version: pkg.version, purl, bomRef: purl }));
  }
  const serializer = new cdx.Serialize.JsonSerializer(new cdx.Serialize.JSON.Normalize.Factory(cdx.Spec.Spec1dot6));
  return { json: `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`, components: bom.components.size };
}
