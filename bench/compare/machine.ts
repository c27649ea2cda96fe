/**
 * The stamp on every result: date, machine (CPU model, cores, memory, disk under the data
 * folder), OS, Node, and the repo commit, so a figure is never read apart from where it came from.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem, release, platform } from 'node:os';
import { statfsSync } from 'node:fs';

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  disk: string;
  diskFreeGiB: number;
  os: string;
  node: string;
  commit: string;
  /** 1-minute load average when the run started: other work on the machine skews figures. */
  loadAverage: number;
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Free bytes on the filesystem holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

function describeDisk(dir: string): string {
  // findmnt names the device behind the folder; lsblk its size, model and whether it spins.
  const source = run('findmnt', ['-n', '-o', 'SOURCE,FSTYPE', '--target', dir]);
  const device = source.split(/\s+/)[0] ?? '';
  const parent = device ? run('lsblk', ['-n', '-d', '-o', 'PKNAME', device]) || device.replace('/dev/', '') : '';
  const info = parent ? run('lsblk', ['-n', '-d', '-o', 'NAME,SIZE,ROTA,MODEL', `/dev/${parent}`]) : '';
  const [name, size, rota, ...model] = info.split(/\s+/);
  if (!name) return source || 'unknown';
  return `${source} (${name} ${size}, ${rota === '1' ? 'rotational' : 'non-rotational'}${model.length ? ', ' + model.join(' ') : ''})`;
}

export function describeMachine(dataDir: string, repoDir: string): Machine {
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    disk: describeDisk(dataDir),
    diskFreeGiB: Math.round(freeBytes(dataDir) / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
    commit: run('git', ['-C', repoDir, 'rev-parse', '--short', 'HEAD']) || 'unknown',
    loadAverage: loadavg()[0]!,
  };
}
