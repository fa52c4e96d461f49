import { AxonFlowError, CODES } from './axonflow-error.js';
import { ErrorCode } from './code.js';

/** Invalid configuration: the message names the setting (or variable) and the fix. */
export class ConfigError extends AxonFlowError {
  static override readonly [CODES]: ReadonlySet<string> = new Set([ErrorCode.CONFIG]);

  override readonly name = 'ConfigError' as const;
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(ErrorCode.CONFIG, message);
    this.setting = setting;
  }
}
