import { runSuite } from './runSuite';

/** extensionTestsPath entry for the trusted-workspace suite. */
export function run(): Promise<void> {
  return runSuite('trusted');
}
