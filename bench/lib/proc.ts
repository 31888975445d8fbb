/** What the runner reads from /proc and the system: CPU time, RSS, limits, machine. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

let clkTck: number | null = null;

/** Clock ticks per second for /proc/<pid>/stat (getconf CLK_TCK; 100 on Linux). */
export function clockTicks(): number {
  if (clkTck === null) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of a process, in seconds; NaN when it cannot be read. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: the fields after ')' start with the state (field 3).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return NaN;
  }
}

/** VmRSS of a process, KiB; NaN when it cannot be read. */
export function rssKiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** The soft open-files limit of a process ('self' for this one). */
export function openFilesLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } {
  try {
    const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    const num = (s: string | undefined) => (s === 'unlimited' ? Infinity : Number(s));
    return { soft: num(m?.[1]), hard: num(m?.[2]) };
  } catch {
    return { soft: NaN, hard: NaN };
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memGiB: number;
  kernel: string;
  node: string;
  hardNofile: number;
}

export function machine(): Machine {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() || cpuModel;
  } catch {
    /* not Linux */
  }
  return {
    cpuModel,
    cores: os.availableParallelism(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    hardNofile: openFilesLimit('self').hard,
  };
}

/** Where a program is on PATH (or in /usr/sbin, /sbin), or null. */
export function which(program: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir && existsSync(`${dir}/${program}`)) return `${dir}/${program}`;
  }
  return null;
}

/** CPU pinning plan: server on core 0, generator on core 1, when taskset exists and there are 2+ cores. */
export interface Pinning {
  enabled: boolean;
  serverCpus: string;
  generatorCpus: string;
  /** Cores the generator may use (for its utilisation figure). */
  generatorCores: number;
  reason: string;
}

export function planPinning(wanted: boolean): Pinning {
  const cores = os.availableParallelism();
  if (!wanted) return { enabled: false, serverCpus: '', generatorCpus: '', generatorCores: cores, reason: 'pinning off (--no-pin)' };
  if (cores < 2) return { enabled: false, serverCpus: '', generatorCpus: '', generatorCores: cores, reason: `only ${cores} core: server and generator share it` };
  if (!which('taskset')) return { enabled: false, serverCpus: '', generatorCpus: '', generatorCores: cores, reason: 'taskset not found (apt-get install util-linux): not pinned' };
  const generatorCpus = cores === 2 ? '1' : `1-${cores - 1}`;
  return {
    enabled: true,
    serverCpus: '0',
    generatorCpus,
    generatorCores: cores - 1,
    reason: `server on CPU 0 (taskset -c 0), generator workers on CPU ${generatorCpus} (taskset -a -p -c ${generatorCpus})`,
  };
}

/** Pin a running process and all its threads. */
export function pinProcess(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid} failed: ${r.stderr || r.error?.message}`);
}

/** The children of a process (every thread's), from /proc/<pid>/task/<tid>/children; [] when it is gone. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
      } catch {
        /* thread gone */
      }
    }
  } catch {
    /* process gone */
  }
  return out;
}
