import { runSuite } from './runSuite';

/** extensionTestsPath entry for the Restricted Mode suite. */
export function run(): Promise<void> {
  return runSuite('restricted');
}
