/**
 * A one-line progress bar on stderr when it is a terminal; plain milestone lines otherwise (CI logs,
 * pipes), so `--json` output on stdout stays machine-readable either way.
 */
export class ProgressBar {
  private lastLine = '';
  private lastPercentLogged = -1;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {}

  update(done: number, total: number, detail = ''): void {
    if (!this.enabled) return;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const percent = Math.floor(fraction * 100);
    if (this.stream.isTTY) {
      const width = 24;
      const filled = Math.round(fraction * width);
      const elapsed = ((Date.now() - this.started) / 1000).toFixed(1);
      const line = `${this.label.padEnd(12)} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${elapsed}s ${detail}`;
      if (line !== this.lastLine) {
        this.stream.write(`\r\x1b[2K${line}`);
        this.lastLine = line;
      }
    } else if (percent >= this.lastPercentLogged + 25 || (percent === 100 && this.lastPercentLogged < 100)) {
      this.lastPercentLogged = percent;
      this.stream.write(`${this.label}: ${percent}% ${detail}\n`);
    }
  }

  done(message = 'done'): void {
    if (!this.enabled) return;
    const elapsed = ((Date.now() - this.started) / 1000).toFixed(1);
    this.stream.write(`${this.stream.isTTY ? '\r\x1b[2K' : ''}${this.label}: ${message} (${elapsed}s)\n`);
  }
}
